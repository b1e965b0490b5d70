from django.urls import path  # noqa: F401

from . import coverage_views

app_name = "residents"

urlpatterns = []
urlpatterns += [
    path("bindings/estates/<int:pk>/", coverage_views.estate, name="coverage"),
]
