"""Each member signs for themself (issue 22, item 9): a committee decision, an expenditure
approval and a fund payout reviewed by the committee record each member's agreement as a
``Consent``, the one record of it.

* ``record``: a Consent per member. Recorded from the member's own login (``member.owner.user``)
  it is confirmed at once; recorded by anybody else (the chair at the meeting) it is "pending
  confirmation" until the member confirms it from their own login. ``actor=None`` is the system
  itself (seed_demo), which enters agreements already signed.
* ``confirm``: the member's own login, once, unless the matter failed (too few in favour, refused,
  returned); then the matter's own rule decides whether it now takes effect (``settle``); a
  matter already in force stays as it is, and the member's agreement is on its record.
* ``confirmed`` / ``pending`` / ``pending_for``: reads.

Each kind of matter registers itself (``register``) from its app's ``ready``: what the member
agrees to, which matters still wait, and what happens when enough members have confirmed.
The floors stay in order: fees registers its expenditures and fund uses here, committees never
imports fees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import audit
from community.locks import lock_one

from .models import Consent, Member
from .selectors import ACTIVE

NOT_YOURS = _("只能由委员本人登录确认自己的同意。")
ALREADY_CONFIRMED = _("您已于 %(at)s 确认，无需再次确认。")
NOT_SEATED = _("%(name)s 已不是在任委员，不能确认。")
NOT_WAITING = _("该事项未获通过或已退回，无需再确认。")
ALREADY_RECORDED = _("已登记过 %(names)s 的同意。")
NOT_A_MEMBER = _("%(name)s 不是在任委员，不能登记其同意。")
UNKNOWN_SUBJECT = _("此类事项不需要委员本人确认。")


@dataclass(frozen=True)
class Kind:
    """How one kind of matter uses the consents of its members.

    ``waiting(ids)`` loads the matters among ``ids`` a member may still confirm, by pk,
    with what ``describe`` reads; ``describe(subject)`` says in a line what the member agrees
    to; ``settle(subject, actor=, now=)`` runs after each confirmation, in its transaction, and
    puts the matter into effect when enough members have confirmed."""

    label: str
    waiting: Callable[[Iterable[int]], dict[int, Model]]
    describe: Callable[[Model], str]
    settle: Callable[..., object]


_KINDS: dict[type[Model], Kind] = {}


def register(model: type[Model], kind: Kind) -> None:
    _KINDS[model] = kind


def kind_of(model: type[Model]) -> Kind:
    try:
        return _KINDS[model]
    except KeyError:
        raise ValidationError(UNKNOWN_SUBJECT) from None


def _of(subject: Model):
    return Consent.objects.filter(subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk)


def is_own_login(member: Member, user) -> bool:
    return user is not None and user.pk is not None and member.owner.user_id == user.pk


@transaction.atomic
def record(*, actor, subject: Model, members, now: datetime | None = None) -> list[Consent]:
    """A Consent of each of ``members`` to ``subject``: confirmed when ``actor`` is that member's own
    login (or the system), pending otherwise. The calling service has checked that ``actor`` may
    record the matter and that the members are the right ones; each member once per matter."""
    kind_of(type(subject))
    now = now or timezone.now()
    members = list({m.pk: m for m in members}.values())
    for member in members:
        if member.left_on is not None:
            raise ValidationError(NOT_A_MEMBER, params={"name": member.owner.name})
    already = set(_of(subject).filter(member__in=members).values_list("member_id", flat=True))
    if already:
        names = "、".join(m.owner.name for m in members if m.pk in already)
        raise ValidationError(ALREADY_RECORDED, params={"names": names})
    subject_type = ContentType.objects.get_for_model(subject)
    made = []
    for member in members:
        own = actor is None or is_own_login(member, actor)
        consent = Consent.objects.create(
            member=member,
            subject_type=subject_type,
            subject_id=subject.pk,
            recorded_by=actor,
            recorded_at=now,
            confirmed_at=now if own else None,
        )
        audit.record(
            "consent_recorded",
            user=actor,
            obj=consent,
            detail={
                "member": member.pk,
                "subject": f"{subject._meta.label}:{subject.pk}",
                "confirmed": own,
            },
        )
        made.append(consent)
    return made


@transaction.atomic
def confirm(*, actor, consent: Consent, now: datetime | None = None) -> Consent:
    """The member confirms their own agreement from their own login, once, unless the matter failed;
    the matter then takes effect if enough members have now confirmed."""
    now = now or timezone.now()
    consent = lock_one(Consent.objects.select_related("member__owner", "member__committee"), pk=consent.pk)
    if not is_own_login(consent.member, actor):
        raise PermissionDenied(NOT_YOURS)
    if consent.confirmed_at is not None:
        raise ValidationError(ALREADY_CONFIRMED, params={"at": timezone.localtime(consent.confirmed_at)})
    if consent.member.left_on is not None or consent.member.committee.status not in ACTIVE:
        raise ValidationError(NOT_SEATED, params={"name": consent.member.owner.name})
    kind = kind_of(consent.subject_type.model_class())
    subject = kind.waiting([consent.subject_id]).get(consent.subject_id)
    if subject is None:
        raise ValidationError(NOT_WAITING)
    consent.confirmed_at = now
    consent.save(update_fields=["confirmed_at"])
    audit.record(
        "consent_confirmed",
        user=actor,
        obj=consent,
        detail={"member": consent.member_id, "subject": f"{subject._meta.label}:{subject.pk}"},
    )
    kind.settle(subject, actor=actor, now=now)
    return consent


# --------------------------------------------------------------------------- reads


def of(subject: Model):
    """Every member's consent to ``subject``, with the member's name."""
    return _of(subject).select_related("member__owner")


def confirmed(subject: Model):
    return of(subject).exclude(confirmed_at=None)


def pending(subject: Model):
    return of(subject).filter(confirmed_at=None)


def seated_member(user):
    """The user's seats on a committee in office, as a member with their own login (empty for
    everybody else)."""
    if user is None or not user.is_authenticated:
        return Member.objects.none()
    return Member.objects.filter(owner__user=user, left_on=None, committee__status__in=ACTIVE)


@dataclass
class Waiting:
    consent: Consent
    kind: Kind
    subject: Model

    @property
    def what(self) -> str:
        return self.kind.describe(self.subject)


def pending_for(user) -> list[Waiting]:
    """The user's own pending consents, on matters that still wait for them, oldest first: one
    query, and one more per kind of matter among them."""
    rows = list(
        Consent.objects.filter(member__in=seated_member(user), confirmed_at=None)
        .select_related("member__committee__estate")
        .order_by("recorded_at", "pk")
    )
    by_type: dict[int, list[Consent]] = {}
    for consent in rows:
        by_type.setdefault(consent.subject_type_id, []).append(consent)
    found: dict[tuple[int, int], Model] = {}
    for type_id, consents in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model not in _KINDS:
            continue
        for pk, subject in _KINDS[model].waiting([c.subject_id for c in consents]).items():
            found[(type_id, pk)] = subject
    return [
        Waiting(c, _KINDS[type(found[key])], found[key])
        for c in rows
        if (key := (c.subject_type_id, c.subject_id)) in found
    ]
