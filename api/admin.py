"""Read-only views of the API's records in Django's admin; every change goes through the pages
(/api-clients/) and api.services, which check and audit it."""

from django.contrib import admin

from .models import ApiClient, ApiToken, Webhook, WebhookDelivery


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiClient)
class ApiClientAdmin(ReadOnly):
    list_display = ["name", "organisation", "district", "rate_per_minute", "created_at", "revoked_at"]
    list_filter = ["district"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnly):
    list_display = ["client", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["digest"]


@admin.register(Webhook)
class WebhookAdmin(ReadOnly):
    list_display = ["client", "url", "active", "created_at"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ["webhook", "event", "event_id", "status", "attempts", "response_code", "delivered_at"]
    list_filter = ["status", "event"]
