from django.urls import path

from . import request_views, unit_views, views

app_name = "grid"

urlpatterns = [
    path("grid/", views.case_list, name="cases"),
    path("grid/report/", views.report, name="report"),
    path("grid/cases/<int:pk>/", views.case, name="case"),
    path("grid/photos/<int:pk>/", views.photo, name="photo"),
    path("grid/dashboard/", views.dashboard, name="dashboard"),
    path("grid/dashboard/no-manager/", views.no_manager, name="no_manager"),
    path("grid/dashboard/committees/", views.committees, name="committees"),
    # residents' requests (报事报修): the reporter's pages and the handling units' queue
    path("me/requests/", request_views.my_requests, name="my_requests"),
    path("me/requests/new/", request_views.new_request, name="new_request"),
    path("me/requests/<int:pk>/", request_views.my_request, name="my_request"),
    path("requests/", request_views.queue, name="queue"),
    path("requests/<int:pk>/", request_views.handle, name="request"),
    path("handling-units/", unit_views.unit_list, name="units"),
    path("handling-units/new/", unit_views.unit_new, name="unit_new"),
    path("handling-units/<int:pk>/", unit_views.unit_page, name="unit"),
    path("handling-units/<int:pk>/edit/", unit_views.unit_edit, name="unit_edit"),
]
