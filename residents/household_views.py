"""The household page (/me/household/): an owner invites, removes and shares bills with the
people who live in their units; a member sees the homes they belong to, the estates' notices
and a way to leave; any other account is told how to bind to the registry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from community.privacy import mask_mobile
from community.web import act, cleaned

from . import household
from .household_forms import InviteForm

ACTIONS = ("invite", "remove", "leave", "share", "unshare")


def _invited(result) -> str:
    if result.joined:
        return _("已邀请。对方的账号已验证该手机号码，已加入您的家庭。")
    if result.sms_error:
        return _("邀请已保存，但短信未能发出（%(error)s）。请告知对方用该手机号码注册账号后即可加入。") % {
            "error": result.sms_error
        }
    return _("邀请已发出。对方用该手机号码注册账号后即加入您的家庭。")


def _post(request):
    action = request.POST.get("action", "")
    back = reverse("residents:household")
    if action not in ACTIONS:
        messages.error(request, _("无法识别的操作。"))
        return redirect(back)
    if action == "invite":

        def handler():
            data = cleaned(InviteForm(request.POST))
            unit = household.held_unit(request.user, data["unit"])
            result = household.invite(
                actor=request.user,
                unit=unit,
                mobile=data["mobile"],
                name=data["name"],
                relation=data["relation"],
                request=request,
            )
            if result.sms_error:
                messages.warning(request, _invited(result))
                return _("已保存邀请。")
            return _invited(result)

        return act(request, handler, back)
    row = household.actionable(request.user, request.POST.get("household"))
    if row is None:
        raise Http404
    if action in ("remove", "leave"):
        done = _("已退出该家庭。") if action == "leave" else _("已移除。")
        return act(request, lambda: household.remove(actor=request.user, household=row, request=request), back, done)
    share = action == "share"
    done = _("已向该成员共享账单。") if share else _("已停止向该成员共享账单。")
    return act(
        request,
        lambda: household.share_bills(actor=request.user, household=row, share=share, request=request),
        back,
        done,
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_page(request):
    if request.method == "POST":
        return _post(request)
    user = request.user
    owner = getattr(user, "owner", None)
    homes = household.members_of_owner(owner) if owner is not None else []
    for home in homes:
        for member in home.members:
            member.masked_mobile = mask_mobile(member.mobile)
    belongs = list(household.memberships(user))
    estates = {m.unit.building.estate_id for m in belongs}
    pages = household.estate_pages(estates) if estates else {}
    for member in belongs:
        member.estate_page = pages.get(member.unit.building.estate_id)
    return render(
        request,
        "residents/household.html",
        {
            "is_owner": owner is not None,
            "homes": homes,
            "form": InviteForm(),
            "max_members": household.MAX_MEMBERS,
            "belongs": belongs,
            "shares": any(m.shares_bills for m in belongs),
            "notices": household.latest_notices(estates) if estates else [],
        },
    )
