"""The district administrator's pages for client systems (接口客户端).

* ``/api-clients/``: the clients of the districts the reader administers (``change_rules`` held
  on the district itself, as ``api.services`` checks), and the form that registers one with its
  scope (the district, one of its streets or communities) and rate. The token is shown once, on
  the page that answers the registration, and never again.
* ``/api-clients/<id>/``: its scope, tokens (prefix, made, last used, revoked), webhooks and last
  deliveries, a link to its calls in the audit trail; rotate the token (shown once), revoke the
  client, add or stop a webhook (its secret shown once).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from community import access
from community.models import Community, District, Role, RoleAssignment, Street
from community.web import act, cleaned, error_text

from . import services
from .forms import ClientForm, WebhookForm
from .models import ApiClient, Webhook, WebhookDelivery


def _districts(user):
    ids = access.granted_scopes(user, access.CHANGE_RULES).get(District) or set()
    return District.objects.filter(pk__in=ids).order_by("name")


def _admin_or_403(user):
    districts = list(_districts(user))
    if not districts:
        raise PermissionDenied
    return districts


def _client_or_404(user, pk) -> ApiClient:
    client = ApiClient.objects.filter(pk=pk, district__in=_districts(user)).select_related("district").first()
    if client is None:
        raise Http404
    return client


def _scopes(districts) -> list[tuple[str, str]]:
    choices = []
    for district in districts:
        choices.append((f"district:{district.pk}", district.name))
        for street in Street.objects.filter(district=district).order_by("name"):
            choices.append((f"street:{street.pk}", f"{district.name} / {street.name}"))
            for community in Community.objects.filter(street=street).order_by("name"):
                choices.append((f"community:{community.pk}", f"{district.name} / {street.name} / {community.name}"))
    return choices


SCOPE_MODELS = {"district": District, "street": Street, "community": Community}


def _scope_of(value: str):
    kind, _sep, pk = value.partition(":")
    return SCOPE_MODELS[kind].objects.get(pk=int(pk))


def _scope_text(client: ApiClient) -> str:
    grant = RoleAssignment.objects.filter(user_id=client.account_id, role=Role.API_CLIENT).first()
    return str(grant.scope) if grant and grant.scope else "—"


def _shown_once(request, template, context):
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@never_cache
def client_list(request):
    districts = _admin_or_403(request.user)
    scopes = _scopes(districts)
    form = ClientForm(request.POST or None, scopes=scopes)
    if request.method == "POST":
        try:
            data = cleaned(form)
            client, token = services.register_client(
                actor=request.user,
                scope=_scope_of(data["scope"]),
                name=data["name"],
                organisation=data["organisation"],
                contact=data["contact"],
                rate_per_minute=data["rate_per_minute"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, error_text(exc))
        else:
            return _shown_once(request, "api/client_token.html", {"client": client, "token": token, "what": "token"})
    clients = ApiClient.objects.filter(district__in=districts).select_related("district").order_by("district", "name")
    return render(request, "api/clients.html", {"clients": clients, "form": form})


@login_required
def client_detail(request, pk):
    _admin_or_403(request.user)
    client = _client_or_404(request.user, pk)
    audit_link = reverse("community:audit") + "?" + urlencode({"action": "api_call", "obj": client.name})
    deliveries = (
        WebhookDelivery.objects.filter(webhook__client=client).select_related("webhook").order_by("-created_at")[:20]
    )
    return render(
        request,
        "api/client.html",
        {
            "client": client,
            "scope": _scope_text(client),
            "tokens": client.tokens.order_by("-created_at"),
            "webhooks": client.webhooks.order_by("-active", "pk"),
            "deliveries": deliveries,
            "audit_link": audit_link,
            "webhook_form": WebhookForm(),
        },
    )


@login_required
@require_POST
@never_cache
def client_rotate(request, pk):
    client = _client_or_404(request.user, pk)
    try:
        token = services.rotate_token(actor=request.user, client=client)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect("api:client", client.pk)
    return _shown_once(request, "api/client_token.html", {"client": client, "token": token, "what": "token"})


@login_required
@require_POST
def client_revoke(request, pk):
    client = _client_or_404(request.user, pk)
    return act(
        request,
        lambda: services.revoke_client(actor=request.user, client=client) and _("客户端已停用，令牌立即失效。"),
        reverse("api:client", args=[client.pk]),
    )


@login_required
@require_POST
@never_cache
def client_webhook(request, pk):
    client = _client_or_404(request.user, pk)
    form = WebhookForm(request.POST)
    try:
        webhook, secret = services.register_webhook(actor=request.user, client=client, url=cleaned(form)["url"])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect("api:client", client.pk)
    return _shown_once(
        request, "api/client_token.html", {"client": client, "token": secret, "what": "secret", "webhook": webhook}
    )


@login_required
@require_POST
def client_webhook_stop(request, pk, webhook_pk):
    client = _client_or_404(request.user, pk)
    webhook = Webhook.objects.filter(pk=webhook_pk, client=client).first()
    if webhook is None:
        raise Http404
    return act(
        request,
        lambda: services.deactivate_webhook(actor=request.user, webhook=webhook) and _("推送地址已停用。"),
        reverse("api:client", args=[client.pk]),
    )
