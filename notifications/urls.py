from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("me/inbox/", views.inbox, name="inbox"),
    path("me/inbox/<int:pk>/", views.item, name="item"),
    path("me/inbox/read-all/", views.read_all, name="read_all"),
    path("me/notifications/", views.preferences, name="preferences"),
]
