"""The navigation bar's "接口客户端" link, for a district's administrators."""

from community import access
from community.models import District


def clients(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "signin_pending", False):
        return {}

    def flag():
        return bool(access.granted_scopes(user, access.CHANGE_RULES).get(District))

    return {"nav_api_clients": flag}
