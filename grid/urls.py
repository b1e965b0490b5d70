from django.urls import path

from . import views

app_name = "grid"

urlpatterns = [
    path("grid/", views.case_list, name="cases"),
    path("grid/report/", views.report, name="report"),
    path("grid/cases/<int:pk>/", views.case, name="case"),
    path("grid/photos/<int:pk>/", views.photo, name="photo"),
    path("grid/dashboard/", views.dashboard, name="dashboard"),
    path("grid/dashboard/no-manager/", views.no_manager, name="no_manager"),
    path("grid/dashboard/committees/", views.committees, name="committees"),
]
