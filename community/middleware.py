from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import Http404
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.views.debug import ExceptionReporter
from django.views.defaults import page_not_found


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Chinese first: English only when the visitor picks it with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, which
    would show English to a Chinese resident whose phone happens to be set to
    English. The switch's cookie (and nothing else) chooses the language here.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (``CONTENT_SECURITY_POLICY``: no inline script) on every page, except
    under the prefixes of ``CONTENT_SECURITY_POLICY_EDITOR``: Wagtail's editor writes inline
    scripts and styles in its own templates, so it gets the directives given there instead."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        editor = getattr(settings, "CONTENT_SECURITY_POLICY_EDITOR", None)
        if not report_only and editor and request.path_info.startswith(tuple(editor["PREFIXES"])):
            parts.replace = {**editor["DIRECTIVES"], **(parts.replace or {})}
        return parts


def _friendly_errors() -> bool:
    """In DEBUG (the demo) show the site's own 404 and 500 pages as production does, unless a
    developer asks for Django's technical pages with DEBUG_ERROR_PAGES=1. Outside DEBUG Django
    already uses templates/404.html and 500.html, and 403.html in both."""
    return settings.DEBUG and not getattr(settings, "DEBUG_ERROR_PAGES", False)


class FriendlyNotFoundMiddleware:
    """A page that is not there answers with templates/404.html in the demo too (Django's DEBUG
    404 page is in English and lists the project's URL patterns)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and _friendly_errors():
            return page_not_found(request, exception)
        return None


class FriendlyExceptionReporter(ExceptionReporter):
    """DEFAULT_EXCEPTION_REPORTER: in the demo a server error's page is templates/500.html, in the
    visitor's language; the traceback still goes to the console through the django.request log.
    Mail to ADMINS and DEBUG_ERROR_PAGES=1 get Django's own report."""

    def get_traceback_html(self):
        if self.request is not None and _friendly_errors():
            return render_to_string("500.html", request=self.request)
        return super().get_traceback_html()
