"""How a client system is known on every call: its bearer token, its rate, its audit line.

Every API view inherits ``ClientView`` (or ``ClientViewSet``), so no endpoint can forget one of
the three. A token is ``<prefix>.<secret>``; the database keeps the prefix and the SHA-256 of the
whole token. A revoked token, a revoked client or a deactivated account fails on the next call.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions, throttling, viewsets
from rest_framework.views import APIView

from community import audit

from .models import ApiToken

KEYWORD = "Bearer"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确：应为 Authorization: Bearer <令牌>。"))
        token = header[1]
        prefix = token.partition(".")[0]
        row = (
            ApiToken.objects.select_related("client__account")
            .filter(prefix=prefix, revoked_at__isnull=True, client__revoked_at__isnull=True)
            .first()
        )
        if row is None or not hmac.compare_digest(row.digest, digest(token)) or not row.client.account.is_active:
            raise exceptions.AuthenticationFailed(_("令牌无效、已作废或客户端已停用。"))
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        user = row.client.account
        user.api_client = row.client  # the same object, so the views need no second query
        return user, row

    def authenticate_header(self, request):
        return KEYWORD


class IsClient(permissions.BasePermission):
    """Only a registered client's account: a person's session never reaches the API."""

    message = _("此接口仅供登记的接口客户端使用。")

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiToken)


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """Each client's own rate (``ApiClient.rate_per_minute``), counted in the shared cache."""

    scope = "api_client"

    def get_rate(self):
        return "60/min"  # replaced per client in allow_request

    def allow_request(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return True
        self.num_requests, self.duration = request.auth.client.rate_per_minute, 60
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return f"api-throttle-{request.auth.client_id}"


def _has_valid_token(request) -> bool:
    """A registered client sharing an address with someone knocking is not held up by them."""
    try:
        return isinstance(request.auth, ApiToken)
    except exceptions.APIException:
        return False


def _refused_key(request) -> str:
    return f"api-refused-{audit.client_ip(request._request) or 'unknown'}"


def _result(status: int) -> str:
    if status < 400:
        return audit.AuditResult.SUCCESS
    return audit.AuditResult.DENIED if status in (401, 403, 429) else audit.AuditResult.FAILURE


class Audited:
    """One audit line per call, whatever its outcome: client, method, path, status."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsClient]
    throttle_classes = [ClientRateThrottle]

    def initial(self, request, *args, **kwargs):
        # Calls without a valid token are counted per address; past the limit they get 429 and no
        # audit line, so nobody can fill the (append-only) trail by knocking with bad tokens.
        if cache.get(_refused_key(request), 0) >= settings.API_REFUSED_PER_MINUTE and not _has_valid_token(request):
            request._request.api_unaudited = True
            raise exceptions.Throttled(wait=60, detail=str(_("本地址的无效调用过多，请一分钟后再试。")))
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(request._request, "api_unaudited", False):
            return response
        token = getattr(request, "_auth", None)
        if not isinstance(token, ApiToken) and response.status_code in (401, 403):
            key = _refused_key(request)
            cache.add(key, 0, timeout=60)
            try:
                cache.incr(key)
            except ValueError:  # expired between the two calls
                cache.add(key, 1, timeout=60)
        user = getattr(request, "_user", None)
        audit.record(
            "api_call",
            request=request._request,
            user=user if isinstance(token, ApiToken) else None,
            result=_result(response.status_code),
            obj=("api.apiclient", token.client_id, token.client.name) if isinstance(token, ApiToken) else None,
            detail={"method": request.method, "path": request.path[:200], "status": response.status_code},
        )
        return response


class ClientView(Audited, APIView):
    pass


class ClientViewSet(Audited, viewsets.GenericViewSet):
    pass
