from django.urls import path

from . import household_views

app_name = "residents"

urlpatterns = [
    path("me/household/", household_views.household_page, name="household"),
]
