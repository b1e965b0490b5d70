"""Cursor pagination for the API's lists: a client pages through a list that may change under it
without skipping or repeating rows (an offset would shift when rows are added)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class SyncCursorPagination(CursorPagination):
    """Registry lists, by (``updated_at``, ``id``): the order an ``updated_since`` sync reads in.
    ``page_size`` is bounded by ``MAX_PAGE_SIZE``; a cursor that was not given by us is a 400."""

    ordering = ("updated_at", "id")
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_cursor_message = _("游标无效：请使用上一页响应中 next 或 previous 给出的地址。")
    cursor_query_description = _("分页游标，取自上一页响应的 next / previous。")
    page_size_query_description = _("每页条数，1 至 200，默认 50；超过 200 按 200 计。")

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]}) from None


class ChangedCursorPagination(SyncCursorPagination):
    """Lists whose change time is computed from the row and the records it derives from."""

    ordering = ("changed_at", "id")


class KeyCursorPagination(SyncCursorPagination):
    """Figures keyed by an estate, a community, a room or a score: by that key's id."""

    ordering = ("id",)


class TombstoneCursorPagination(SyncCursorPagination):
    ordering = ("deleted_at", "id")
