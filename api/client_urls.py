"""The district administrator's pages for client systems."""

from django.urls import path

from . import client_views

urlpatterns = [
    path("api-clients/", client_views.client_list, name="clients"),
    path("api-clients/<int:pk>/", client_views.client_detail, name="client"),
    path("api-clients/<int:pk>/rotate/", client_views.client_rotate, name="client_rotate"),
    path("api-clients/<int:pk>/revoke/", client_views.client_revoke, name="client_revoke"),
    path("api-clients/<int:pk>/webhooks/", client_views.client_webhook, name="client_webhook"),
    path(
        "api-clients/<int:pk>/webhooks/<int:webhook_pk>/stop/",
        client_views.client_webhook_stop,
        name="client_webhook_stop",
    ),
]
