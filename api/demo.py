"""The API part of the demo: the city platform (城市运行管理中心) registered as a client on the
demo district, so the README's first call works as printed:

    curl -H "Authorization: Bearer demo0api.city-platform-demo-token-not-secret" \\
         http://127.0.0.1:8000/api/v1/estates/

The known token is written only under DEBUG (``make demo``), like the demo's known sign-in
codes; otherwise the client gets a random token, printed once. A case posted with the token on
E0001 lands in the ``community`` login's queue (网格案件, 待分派), and a webhook the client
registers hears of its every step.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from community.models import District, Estate

from . import services
from .auth import digest
from .models import ApiClient, ApiToken

NAME = "城市运行管理中心"
ORGANISATION = "三元区城市运行管理中心（一网统管）"
DEMO_PREFIX = "demo0api"
DEMO_TOKEN = f"{DEMO_PREFIX}.city-platform-demo-token-not-secret"


@transaction.atomic
def build(*, today, progress=None, log=print):
    estate = Estate.objects.filter(code="E0001").select_related("grid__community__street__district").first()
    if estate is None:
        return []
    district = District.objects.get(pk=estate.grid.community.street.district_id)
    client = ApiClient.objects.filter(district=district, name=NAME).first()
    if client is None:
        client, token = services.register_client(
            actor=None, scope=district, name=NAME, organisation=ORGANISATION, contact="值班室 0598-0000000"
        )
    else:
        token = ""
    if settings.DEBUG:
        # The demo's known token: the client's live token becomes the printed one.
        client.tokens.filter(revoked_at__isnull=True).exclude(prefix=DEMO_PREFIX).delete()
        ApiToken.objects.update_or_create(
            prefix=DEMO_PREFIX, defaults={"client": client, "digest": digest(DEMO_TOKEN), "revoked_at": None}
        )
        token = DEMO_TOKEN
    if token:
        log(f"数据接口：{NAME}（{district.name}）的令牌 {token}")
        log(f'  curl -H "Authorization: Bearer {token}" http://127.0.0.1:8000/api/v1/estates/')
    else:
        log(f"数据接口：{NAME} 已登记，令牌在 /api-clients/ 更换后显示。")
    return []
