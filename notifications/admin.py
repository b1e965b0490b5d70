"""The notifications in the admin: a window to read, for superusers only (deliveries carry
owners' mobiles and e-mail addresses across the whole district), never a way to send or change."""

from django.contrib import admin

from community.admin import SuperuserWindow

from .models import Delivery, Message


@admin.register(Message)
class MessageAdmin(SuperuserWindow):
    list_display = ("title", "event", "urgent", "created_at")
    list_filter = ("event", "urgent")
    search_fields = ("title",)


@admin.register(Delivery)
class DeliveryAdmin(SuperuserWindow):
    list_display = ("message", "channel", "status", "attempts", "reason", "sent_at", "read_at")
    list_filter = ("channel", "status")
    list_select_related = ("message",)
    raw_id_fields = ("message", "owner", "user")
