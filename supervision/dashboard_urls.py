from django.urls import path

from . import dashboard_views as views

# The supervision dashboard and the lists behind its figures (each exports with ?export=xlsx).
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/collection/", views.collection, name="collection"),
    path("dashboard/arrears/<int:estate_id>/", views.arrears, name="arrears"),
    path("dashboard/fund/", views.fund, name="fund"),
    path("dashboard/requests/", views.requests, name="requests"),
    path("dashboard/exams/", views.exams, name="exams"),
    path("dashboard/mediation/", views.mediation, name="mediation"),
]
