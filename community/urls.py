from django.urls import path

from . import views

app_name = "community"

urlpatterns = [
    path("estates/", views.directory, name="directory"),
    path("estates/<int:pk>/", views.estate_detail, name="estate_detail"),
    path("me/units/", views.my_units, name="my_units"),
]
