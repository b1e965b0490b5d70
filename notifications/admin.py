"""The notifications in the admin: a window to read, never a second way to send or change."""

from django.contrib import admin

from .models import Delivery, Message


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnly):
    list_display = ("title", "event", "urgent", "created_at")
    list_filter = ("event", "urgent")
    search_fields = ("title",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("message", "channel", "status", "attempts", "reason", "sent_at", "read_at")
    list_filter = ("channel", "status")
    list_select_related = ("message",)
    raw_id_fields = ("message", "owner", "user")
