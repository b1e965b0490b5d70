from django.urls import path

from . import letter_views

app_name = "residents"

urlpatterns = [
    path("bindings/estates/<int:pk>/letters/", letter_views.letters_page, name="letters"),
]
