from csp.middleware import CSPMiddleware
from django.conf import settings
from django.middleware.locale import LocaleMiddleware


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
