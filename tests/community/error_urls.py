"""The project's URLs plus three that fail on purpose, for tests/community/test_error_pages.py."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path

from config.urls import urlpatterns as project


def _boom(request):
    raise RuntimeError("a deliberate failure")


def _missing(request):
    raise Http404("no such thing")


def _forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("boom/", _boom),
    path("missing/", _missing),
    path("forbidden/", _forbidden),
    *project,
]
