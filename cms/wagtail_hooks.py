"""Every change in the Wagtail editor is checked against community/access.py when it is made."""

from django.core.exceptions import PermissionDenied
from wagtail import hooks

from community import access

from .services import may


def _require(request, perm, page):
    if not request.user.is_superuser and not may(request.user, perm, page):
        raise PermissionDenied


@hooks.register("before_create_page")
def check_create(request, parent_page, page_class):
    _require(request, access.DRAFT_NOTICES, parent_page)


@hooks.register("before_edit_page")
def check_edit(request, page):
    _require(request, access.DRAFT_NOTICES, page)


@hooks.register("before_publish_page")
def check_publish(request, page):
    _require(request, access.PUBLISH_NOTICES, page)


@hooks.register("before_unpublish_page")
def check_unpublish(request, page):
    _require(request, access.PUBLISH_NOTICES, page)


@hooks.register("before_delete_page")
def check_delete(request, page):
    # A draft that never went public may be thrown away by whoever may draft it.
    _require(request, access.PUBLISH_NOTICES if page.first_published_at else access.DRAFT_NOTICES, page)


@hooks.register("before_move_page")
def check_move(request, page, destination):
    _require(request, access.PUBLISH_NOTICES, page)
    _require(request, access.PUBLISH_NOTICES, destination)


@hooks.register("before_copy_page")
def check_copy(request, page):
    _require(request, access.PUBLISH_NOTICES, page)


@hooks.register("before_bulk_action")
def check_bulk(request, action_type, objects, action_class_instance):
    if action_type == "page":
        for page in objects:
            _require(request, access.PUBLISH_NOTICES, page)
