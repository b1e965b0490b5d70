"""What drf-spectacular cannot guess about the API: how a client authenticates (a bearer token),
so the schema declares the scheme, and the answers every operation may give besides its own."""

from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

# The parameter and the answers every list and every detail share, so the schema documents each
# status code a client can get (schemathesis checks that it does).
SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description=_("只列出此时刻（含）以后有变动的条目；ISO 8601，无时区按北京时间。格式不对时返回 400。"),
)
ERRORS = {
    400: OpenApiTypes.OBJECT,
    401: OpenApiTypes.OBJECT,
    403: OpenApiTypes.OBJECT,
    429: OpenApiTypes.OBJECT,
}
DETAIL_ERRORS = {401: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT, 429: OpenApiTypes.OBJECT}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.TokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(_("区管理员登记客户端时给出的令牌：Authorization: Bearer <令牌>。")),
        }


class _ApiUrls:
    """The URL map the schema is generated from: the API's own endpoints (built when first read,
    since read_urls imports the docs views)."""

    @property
    def urlpatterns(self):
        return [path("api/", include("api.read_urls")), path("api/", include("api.case_urls"))]


ApiUrls = _ApiUrls()


class ApiSchemaGenerator(SchemaGenerator):
    """The schema of the API alone, wherever it is generated: the served view, the readable page,
    ``manage.py spectacular`` and drf-spectacular's deploy check (which would otherwise walk the
    whole site, Wagtail's own REST views included)."""

    def __init__(self, *args, **kwargs):
        kwargs["urlconf"] = kwargs.get("urlconf") or ApiUrls
        super().__init__(*args, **kwargs)
