"""What drf-spectacular cannot guess about the API: how a client authenticates (a bearer token),
so the schema declares the scheme and schemathesis sends the header on every operation."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.TokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(_("区管理员登记客户端时给出的令牌：Authorization: Bearer <令牌>。")),
        }
