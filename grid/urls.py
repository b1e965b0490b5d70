from django.urls import path

from . import unit_views, views

app_name = "grid"

urlpatterns = [
    path("grid/", views.case_list, name="cases"),
    path("grid/report/", views.report, name="report"),
    path("grid/cases/<int:pk>/", views.case, name="case"),
    path("grid/cases/<int:pk>/photo/", views.photo, name="photo"),
    path("grid/dashboard/", views.dashboard, name="dashboard"),
    path("grid/dashboard/no-manager/", views.no_manager, name="no_manager"),
    path("grid/dashboard/committees/", views.committees, name="committees"),
    path("handling-units/", unit_views.unit_list, name="units"),
    path("handling-units/new/", unit_views.unit_new, name="unit_new"),
    path("handling-units/<int:pk>/", unit_views.unit_page, name="unit"),
    path("handling-units/<int:pk>/edit/", unit_views.unit_edit, name="unit_edit"),
]
