"""Household members (家庭成员/租户): the people an owner invites to a unit by mobile.

A member reads the estate's notices (and, later, reports repairs); they never vote and see the
unit's bills only while an owner of the unit shares them. Their membership hangs on the inviting
owner's holding: from the day after that holding ends (a sale, an import naming new owners) the
selectors no longer count it, without any write.

Writes (keyword-only, atomic, audited):

* ``invite(*, actor, unit, mobile, name="", relation, request=None) -> Household``: a bound owner
  holding ``unit`` today invites a mobile. An account that already proved that mobile joins at
  once; otherwise the mobile gets a text asking them to register. The result carries
  ``joined`` (bool) and ``sms_error`` ("" when the text was taken or none was needed).
* ``join_invited(*, user, request=None) -> int``: attaches the open invitations for the mobile
  the account proved; the account registration and binding code calls it.
* ``remove(*, actor, household, request=None)``: an owner of the unit removes a member, or the
  member leaves.
* ``share_bills(*, actor, household, share, request=None)``: an owner of the unit shares the
  unit's bills with a member, or stops.

Reads: ``memberships(user, on=None)``, ``members_of_owner(owner, on=None)``,
``shared_units(user, on=None)``, ``latest_notices(estates, limit)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.models import EstatePage, NoticePage
from community import audit
from community.identifiers import is_valid_mobile
from community.locks import lock_one, lock_rows
from community.models import Estate, Owner, OwnerKind, Ownership, Unit
from community.privacy import mask_mobile, mask_name
from notifications.channels import send_sms_now

from .models import Household, Relation, VerifiedMobile

MAX_MEMBERS = 10  # open members and invitations per unit
NAME_LENGTH = Household._meta.get_field("name").max_length

NOT_AN_OWNER = gettext_lazy("只有该房屋的现业主才能邀请或管理家庭成员。")
BAD_MOBILE = gettext_lazy("请填写正确的 11 位手机号码。")
BAD_RELATION = gettext_lazy("请选择关系：家庭成员或租户。")
NAME_TOO_LONG = gettext_lazy("称呼最多 %(n)s 个字。")
ALREADY_MEMBER = gettext_lazy("该手机号码已在本房屋的家庭成员或待加入的邀请中。")
TOO_MANY = gettext_lazy("每套房屋最多邀请 %(n)s 位家庭成员或租户，请先移除不再需要的成员。")
SELF = gettext_lazy("不能邀请自己。")
IS_OWNER = gettext_lazy("该手机号码的账号是本房屋的业主，无需邀请。")
NOT_YOURS = gettext_lazy("只有该房屋的业主或成员本人可以进行此操作。")
ALREADY_REMOVED = gettext_lazy("该成员已移除。")
LAPSED = gettext_lazy("邀请该成员的业主已不再持有这套房屋，此邀请已失效。")


# --------------------------------------------------------------------------- reads


def _inviter_holds(on: date):
    """The household row's inviting owner holds its unit on ``on`` (for Exists)."""
    return Ownership.objects.in_force(on).filter(owner=OuterRef("owner"), unit=OuterRef("unit"))


def open_households(on: date | None = None):
    """Rows not removed whose inviting owner holds the unit on ``on``: members and pending invitations."""
    return Household.objects.filter(removed_at__isnull=True).filter(Exists(_inviter_holds(on or timezone.localdate())))


def memberships(user, on: date | None = None):
    """The user's homes as a member: joined, not removed, the inviting owner still holding the
    unit on ``on`` (today); with estate, building and inviter. One query."""
    if not getattr(user, "is_authenticated", False):
        return Household.objects.none()
    return (
        open_households(on)
        .filter(user=user)
        .select_related("unit__building__estate", "owner")
        .order_by("unit__building__estate__name", "unit__building__name", "unit__room", "pk")
    )


def shared_units(user, on: date | None = None) -> list[tuple[Unit, Owner]]:
    """(unit, inviting owner) pairs whose bills ``user`` may read: memberships with sharing on."""
    return [(h.unit, h.owner) for h in memberships(user, on).filter(shares_bills=True)]


@dataclass
class Home:
    """A unit an owner holds, with its household (members and pending invitations)."""

    ownership: Ownership
    members: list[Household] = field(default_factory=list)

    @property
    def unit(self) -> Unit:
        return self.ownership.unit

    @property
    def full(self) -> bool:
        return len(self.members) >= MAX_MEMBERS


def members_of_owner(owner: Owner, on: date | None = None) -> list[Home]:
    """Per unit ``owner`` holds on ``on`` (today), its open household, invited by this owner or a
    co-owner still holding it. Two queries."""
    on = on or timezone.localdate()
    held = list(
        Ownership.objects.in_force(on)
        .filter(owner=owner)
        .select_related("unit__building__estate")
        .order_by("unit__building__estate__name", "unit__building__name", "unit__room")
    )
    homes = {h.unit_id: Home(h) for h in held}
    if homes:
        for member in (
            open_households(on)
            .filter(unit__in=list(homes))
            .select_related("owner", "user")
            .order_by("invited_at", "pk")
        ):
            homes[member.unit_id].members.append(member)
    return list(homes.values())


def latest_notices(estates, *, limit: int = 8) -> list[tuple[NoticePage, Estate]]:
    """The newest live notices on the estates' public pages, each with its estate. Two queries."""
    pages = list(EstatePage.objects.live().filter(estate__in=estates).select_related("estate"))
    if not pages:
        return []
    under = Q()
    for page in pages:
        under |= Q(path__startswith=page.path, depth=page.depth + 1)
    notices = NoticePage.objects.live().filter(under).order_by("-first_published_at", "-pk")[:limit]
    return [(n, next(p.estate for p in pages if n.path.startswith(p.path))) for n in notices]


def estate_pages(estates) -> dict[int, EstatePage]:
    """{estate id: its live public page}. One query."""
    return {p.estate_id: p for p in EstatePage.objects.live().filter(estate__in=estates)}


def held_unit(user, pk) -> Unit:
    """The unit ``pk`` if the user's owner record holds it today, for the invite form."""
    owner = getattr(user, "owner", None) if getattr(user, "is_authenticated", False) else None
    unit = None
    if owner is not None and str(pk).isdigit():
        unit = (
            Unit.objects.select_related("building__estate")
            .filter(pk=int(pk), pk__in=Ownership.objects.in_force().filter(owner=owner).values("unit"))
            .first()
        )
    if unit is None:
        raise PermissionDenied(NOT_AN_OWNER)
    return unit


def actionable(user, pk) -> Household | None:
    """An open household row the user may act on: their own membership, or one of a unit their
    owner record holds today; None for anything else (the page answers 404)."""
    if not getattr(user, "is_authenticated", False) or not str(pk or "").isdigit():
        return None
    mine = Q(user=user)
    owner = getattr(user, "owner", None)
    if owner is not None:
        mine |= Q(unit__in=Ownership.objects.in_force().filter(owner=owner).values("unit"))
    return Household.objects.filter(mine, removed_at__isnull=True, pk=int(pk)).first()


# --------------------------------------------------------------------------- writes


def _current_owner(actor, unit: Unit, today: date) -> Owner:
    owner = getattr(actor, "owner", None) if getattr(actor, "is_authenticated", False) else None
    if owner is None or not Ownership.objects.in_force(today).filter(owner=owner, unit=unit).exists():
        raise PermissionDenied(NOT_AN_OWNER)
    return owner


def _normal_mobile(mobile) -> str:
    return "".join(str(mobile or "").split()).replace("-", "")


def _attach(household: Household, user, now, request) -> None:
    household.user, household.joined_at = user, now
    household.save(update_fields=["user", "joined_at"])
    audit.record(
        "household_join",
        request=request,
        user=user,
        obj=household,
        detail={"unit": household.unit_id, "relation": household.relation},
    )


def _invitation_text(owner: Owner, unit: Unit, relation: str, mobile: str) -> str:
    return _(
        "%(owner)s 邀请您作为%(relation)s加入 %(estate)s %(building)s-%(room)s。"
        "请用本手机号 %(mobile)s 在 %(url)s 注册账号，注册后即可查看小区公告。"
    ) % {
        "owner": mask_name(owner.name) if owner.kind == OwnerKind.PERSON else owner.name,
        "relation": Relation(relation).label,
        "estate": unit.building.estate.name,
        "building": unit.building.name,
        "room": unit.room,
        "mobile": mobile,
        "url": f"{settings.SITE_URL.rstrip('/')}{reverse('residents:register')}",
    }


def invite(*, actor, unit: Unit, mobile: str, name: str = "", relation: str, request=None) -> Household:
    """An owner holding ``unit`` today invites a family member or tenant by mobile.

    An account that proved the mobile joins at once; otherwise the mobile is texted now. A text
    the gateway refuses leaves the invitation in place and is reported on the result
    (``sms_error``); ``joined`` says whether the invitee is already a member."""
    mobile, name = _normal_mobile(mobile), (name or "").strip()
    with transaction.atomic():
        now = timezone.now()
        today = timezone.localdate(now)
        unit = lock_one(Unit.objects.select_related("building__estate"), pk=unit.pk)  # queues invites to one unit
        owner = _current_owner(actor, unit, today)
        if not is_valid_mobile(mobile):
            raise ValidationError(BAD_MOBILE)
        if relation not in Relation.values:
            raise ValidationError(BAD_RELATION)
        if len(name) > NAME_LENGTH:
            raise ValidationError(NAME_TOO_LONG, params={"n": NAME_LENGTH})
        account = VerifiedMobile.objects.filter(mobile=mobile).select_related("user").first()
        invitee = account.user if account else None
        if invitee is not None and invitee.pk == actor.pk:
            raise ValidationError(SELF)
        if invitee is not None and Ownership.objects.in_force(today).filter(owner__user=invitee, unit=unit).exists():
            raise ValidationError(IS_OWNER)
        rows = lock_rows(Household.objects.filter(unit=unit, removed_at__isnull=True))
        holding = set(
            Ownership.objects.in_force(today)
            .filter(unit=unit, owner__in={r.owner_id for r in rows})
            .values_list("owner", flat=True)
        )
        lapsed = [r for r in rows if r.owner_id not in holding]
        live = [r for r in rows if r.owner_id in holding]
        if any(r.mobile == mobile for r in live) or (
            invitee is not None and any(r.user_id == invitee.pk for r in live)
        ):
            raise ValidationError(ALREADY_MEMBER)
        if len(live) >= MAX_MEMBERS:
            raise ValidationError(TOO_MANY, params={"n": MAX_MEMBERS})
        # Rows left by a former owner's invitations end now, so their mobiles may be invited again.
        for row in lapsed:
            row.removed_at = now
        Household.objects.bulk_update(lapsed, ["removed_at"])
        household = Household.objects.create(
            unit=unit, owner=owner, mobile=mobile, name=name, relation=relation, invited_at=now
        )
        audit.record(
            "household_invite",
            request=request,
            user=actor,
            obj=household,
            detail={
                "unit": unit.pk,
                "mobile": mask_mobile(mobile),
                "relation": relation,
                "lapsed_closed": [r.pk for r in lapsed],
            },
        )
        if invitee is not None:
            _attach(household, invitee, now, request)
    household.joined = invitee is not None
    household.sms_error = ""
    if not household.joined:
        try:
            household.sms_error = send_sms_now(
                mobile, _invitation_text(owner, unit, relation, mobile), event="household_invite"
            )
        except Exception as exc:  # a misconfigured gateway must not undo the invitation
            household.sms_error = str(exc) or exc.__class__.__name__
    return household


@transaction.atomic
def join_invited(*, user, request=None) -> int:
    """Attach every open invitation for the mobile ``user`` proved (whose inviter still holds
    the unit); returns how many. Nothing happens for an account without a proven mobile."""
    account = VerifiedMobile.objects.filter(user=user).first()
    if account is None:
        return 0
    now = timezone.now()
    today = timezone.localdate(now)
    owned = Ownership.objects.in_force(today).filter(owner__user=user).values("unit")
    already = Household.objects.filter(user=user, removed_at__isnull=True).values("unit")
    pending = lock_rows(
        open_households(today)
        .filter(mobile=account.mobile, user__isnull=True)
        .exclude(unit__in=owned)
        .exclude(unit__in=already)
    )
    seen = set()
    for household in pending:
        if household.unit_id in seen:
            continue
        seen.add(household.unit_id)
        _attach(household, user, now, request)
    return len(seen)


def _locked_open(household: Household) -> Household:
    household = lock_one(Household.objects.select_related("unit"), pk=household.pk)
    if household.removed_at is not None:
        raise ValidationError(ALREADY_REMOVED)
    return household


@transaction.atomic
def remove(*, actor, household: Household, request=None) -> Household:
    """An owner of the unit (the inviter or a co-owner holding it today) removes a member or an
    invitation; or the member leaves. At any time."""
    household = _locked_open(household)
    today = timezone.localdate()
    leaving = getattr(actor, "is_authenticated", False) and household.user_id == actor.pk
    if not leaving:
        try:
            _current_owner(actor, household.unit, today)
        except PermissionDenied:
            raise PermissionDenied(NOT_YOURS) from None
    household.removed_at = timezone.now()
    household.save(update_fields=["removed_at"])
    audit.record(
        "household_change",
        request=request,
        user=actor,
        obj=household,
        detail={"change": "leave" if leaving else "remove", "unit": household.unit_id},
    )
    return household


@transaction.atomic
def share_bills(*, actor, household: Household, share: bool, request=None) -> Household:
    """An owner of the unit lets a member read the unit's bills, or stops."""
    household = _locked_open(household)
    today = timezone.localdate()
    _current_owner(actor, household.unit, today)
    if not Ownership.objects.in_force(today).filter(owner=household.owner_id, unit=household.unit_id).exists():
        raise ValidationError(LAPSED)
    share = bool(share)
    if household.shares_bills != share:
        household.shares_bills = share
        household.save(update_fields=["shares_bills"])
        audit.record(
            "household_change",
            request=request,
            user=actor,
            obj=household,
            detail={"change": "share_bills", "share": share, "unit": household.unit_id},
        )
    return household
