"""Red steward pages: an estate's party branch (``/estates/<pk>/branch/``) and the overview of
branches by street or community (``/steward/``) with the list of estates behind each figure.

The branch page is read by those who convene the estate's owners' votes or review its
committee's filings (``selectors.reads_branch``) and changed by those who hold
``access.MANAGE_BRANCHES`` over the estate (its community's staff, the district); anybody else,
and an estate out of reach, gets 404. Writes go through ``committees.steward``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community import access
from community.models import Community, Estate, Owner, Street
from community.web import act, cleaned, paged
from residents.coverage import percent

from . import selectors, steward
from .forms import BranchForm, BranchMemberForm, BranchRoleForm

LIST_PAGE_SIZE = 50


def _estate_for(request, estate_id) -> tuple[Estate, bool]:
    """The estate and whether the user manages its branch; 404 for those who may not read it."""
    estate = access.get_visible_or_404(
        request.user, access.VIEW, Estate.objects.select_related("grid__community__street"), pk=estate_id
    )
    if not selectors.reads_branch(request.user, estate):
        raise Http404
    return estate, access.can(request.user, access.MANAGE_BRANCHES, estate)


def _posted_member(estate, request):
    value = request.POST.get("member", "")
    member = selectors.branch_member_of(estate, int(value)) if value.isascii() and value.isdigit() else None
    if member is None:
        raise Http404
    return member


@login_required
def branch(request, estate_id):
    estate, manages = _estate_for(request, estate_id)
    back = reverse("committees:branch", args=[estate.pk])
    today = timezone.localdate()
    if request.method == "POST":
        if not manages:
            raise PermissionDenied
        return act(request, _handler(request, estate, today), back)
    page = selectors.branch_page(estate)
    forms = {}
    if manages:
        if page.branch is None:
            forms["create"] = BranchForm()
        else:
            forms["edit"] = BranchForm(initial={"name": page.branch.name, "founded_on": page.branch.founded_on})
            forms["add"] = BranchMemberForm(owners=selectors.owner_choices(estate, today))
            forms["role"] = BranchRoleForm()
    return render(
        request,
        "committees/steward/branch.html",
        {"estate": estate, "page": page, "manages": manages, "forms": forms},
    )


def _handler(request, estate, today):
    action = request.POST.get("action")
    if action == "create":

        def handler():
            data = cleaned(BranchForm(request.POST))
            steward.create_branch(actor=request.user, estate=estate, **data)
            return _("党支部已登记。")

        return handler
    current = selectors.branch_of(estate)
    if current is None:
        raise Http404
    if action == "edit":

        def handler():
            steward.edit_branch(actor=request.user, branch=current, **cleaned(BranchForm(request.POST)))
            return _("党支部信息已保存。")

    elif action == "add":

        def handler():
            data = cleaned(BranchMemberForm(request.POST, owners=selectors.owner_choices(estate, today)))
            owner = Owner.objects.filter(pk=data["owner"]).first() if data["owner"] else None
            steward.add_member(
                actor=request.user, branch=current, name=data["name"], role=data["role"], owner=owner, on=today
            )
            return _("已添加党支部成员。")

    elif action == "role":
        member = _posted_member(estate, request)

        def handler():
            steward.change_role(actor=request.user, member=member, role=cleaned(BranchRoleForm(request.POST))["role"])
            return _("职务已调整。")

    elif action == "remove":
        member = _posted_member(estate, request)

        def handler():
            steward.remove_member(actor=request.user, member=member, on=today)
            return _("该成员已离开党支部，记录保留。")

    else:
        raise Http404
    return handler


# --------------------------------------------------------------------------- the overview


def _gate(request) -> None:
    if not selectors.holds_steward_overview(request.user):
        raise PermissionDenied


def _node(request, model, name: str):
    """The street or community a query names, within the user's estates (404 otherwise)."""
    value = request.GET.get(name, "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise Http404
    path = "grid__community__street" if model is Street else "grid__community"
    found = model.objects.filter(pk=int(value), pk__in=selectors.steward_estates(request.user).values(path)).first()
    if found is None:
        raise Http404
    return found


def _list_link(**params) -> str:
    return reverse("committees:steward_estates") + "?" + urlencode({k: v for k, v in params.items() if v})


@login_required
def overview(request):
    _gate(request)
    street = _node(request, Street, "street")
    board = selectors.steward_board(request.user, street=street)
    where = {"street": street.pk if street else None}
    key = board.level

    def links(row) -> dict:
        node = {key: row.pk} if row.pk else {}
        return {show: _list_link(show=show, **{**where, **node}) for show in selectors.SHOWS}

    rows = [(row, links(row), percent(row.coverage)) for row in board.rows]
    return render(
        request,
        "committees/steward/overview.html",
        {
            "street": street,
            "board": board,
            "rows": rows,
            "total": (board.total, links(board.total), percent(board.total.coverage)),
            "group_label": _("街道") if key == "street" else _("社区"),
        },
    )


SHOW_LABELS = {
    "all": gettext_lazy("全部小区"),
    "branch": gettext_lazy("已建党支部的小区"),
    "none": gettext_lazy("未建党支部的小区"),
    "cross": gettext_lazy("有交叉任职的小区"),
    "one": gettext_lazy("党支部书记兼任业委会主任（一肩挑）的小区"),
}


@login_required
def estates(request):
    _gate(request)
    show = request.GET.get("show", "all")
    if show not in selectors.SHOWS:
        raise Http404
    street, community = _node(request, Street, "street"), _node(request, Community, "community")
    page, querystring = paged(
        request, selectors.steward_list(request.user, show=show, street=street, community=community), LIST_PAGE_SIZE
    )
    return render(
        request,
        "committees/steward/estates.html",
        {
            "title": str(SHOW_LABELS[show]),
            "where": community or street,
            "page": page,
            "querystring": querystring,
            "back": reverse("committees:steward") + (f"?street={street.pk}" if street else ""),
        },
    )
