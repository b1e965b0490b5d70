"""Binding letters (绑定函): one letter per unit that has an owner, each with a one-time code.

``issue_letters`` is the one writer: it voids the open letters of exactly the units it prints
for, draws a fresh code per unit (only its SHA-256 is stored; a digest already in use anywhere
is drawn again), and hands back the plain codes once, for the PDF. The reads the letters page
needs (the buildings with their counts, the print history) are below it.

A whole estate of a few thousand units is printed in a handful of queries: the units in one
read, the voiding in one UPDATE, the digests checked in chunks, the letters in bulk inserts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urljoin

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access, audit, locks
from community.models import Building, Estate, Unit
from community.rules import rules_for

from . import codes
from .coverage import held
from .models import Binding, BindingLetter

BATCH = 1000  # rows per INSERT, and digests per lookup (well below SQLite's bound on parameters)


@dataclass
class Issued:
    """What one printing made: the units' letters with their plain codes, in building/room order.
    The plain codes exist only here, for the PDF; the database keeps their digests."""

    estate: Estate
    building: Building | None
    expires_on: date
    letters: list[tuple[Unit, str]] = field(default_factory=list)


def bind_url(base_url: str, code: str) -> str:
    """The address a letter's QR code opens: the binding page with the code filled in."""
    return urljoin(base_url, f"bind/{code}/")


def _natural(text: str) -> tuple:
    """ "2-101" before "2-1001", "9" before "10": rooms as people count them."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def letter_units(estate: Estate, building: Building | None = None) -> QuerySet:
    """The units of the estate (or of one of its buildings) with at least one owner in force today:
    the ones a printing gives a letter."""
    units = Unit.objects.filter(building__estate=estate).filter(
        held(timezone.localdate(), unit__building__estate=estate)
    )
    if building is not None:
        units = units.filter(building=building)
    return units


def _fresh_codes(count: int) -> list[tuple[str, str]]:
    """``count`` (code, digest) pairs whose digests are new to each other and to every letter ever
    printed, anywhere in the country's table. A clash is drawn again (59 bits make it rare)."""
    drawn: list[tuple[str, str] | None] = [None] * count
    pending = list(range(count))
    seen: set[str] = set()
    while pending:
        for index in pending:
            code = codes.new_code()
            drawn[index] = (code, codes.digest(code))
        candidates = {drawn[i][1] for i in pending}
        taken = set()
        digests = sorted(candidates)
        for start in range(0, len(digests), BATCH):
            chunk = digests[start : start + BATCH]
            taken.update(BindingLetter.objects.filter(code_hash__in=chunk).values_list("code_hash", flat=True))
        again = []
        for index in pending:
            digest = drawn[index][1]
            if digest in taken or digest in seen:
                again.append(index)
            else:
                seen.add(digest)
        pending = again
    return drawn  # type: ignore[return-value]


def issue_letters(
    *,
    actor,
    estate: Estate,
    building: Building | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Issued:
    """Print binding letters for every unit of ``estate`` (or of one ``building``) that has an owner
    in force today. The open letters of those units are voided; every other unit's letters stay as
    they were. The letters expire after the rule set's ``binding_letter_days``."""
    if actor is None:
        raise ValidationError(_("绑定函须记录打印人，请以工作人员账号打印。"))
    access.require(actor, access.CHANGE, estate)
    if building is not None and building.estate_id != estate.pk:
        raise ValidationError(
            _("楼栋“%(building)s”不属于小区“%(estate)s”。") % {"building": building.name, "estate": estate.name}
        )
    report = progress or (lambda done, total: None)
    with transaction.atomic():
        locks.hold(estate)  # one printing of an estate at a time: never two open letters for a unit
        units = list(letter_units(estate, building).select_related("building"))
        if not units:
            where = building.name if building is not None else estate.name
            raise ValidationError(_("%(where)s 没有登记在册的业主，无需打印绑定函。") % {"where": where})
        units.sort(key=lambda unit: (unit.building_id, _natural(unit.room), unit.pk))
        total = len(units)
        report(0, total)
        now = timezone.now()
        today = timezone.localdate(now)
        expires_on = today + timedelta(days=rules_for(estate).binding_letter_days)
        BindingLetter.objects.filter(
            unit__in=letter_units(estate, building).values("pk"), voided_at__isnull=True
        ).update(voided_at=now)
        drawn = _fresh_codes(total)
        letters = []
        for start in range(0, total, BATCH):
            part = range(start, min(start + BATCH, total))
            BindingLetter.objects.bulk_create(
                [
                    BindingLetter(
                        unit=units[i], code_hash=drawn[i][1], printed_by=actor, printed_at=now, expires_on=expires_on
                    )
                    for i in part
                ]
            )
            letters.extend((units[i], drawn[i][0]) for i in part)
            report(part.stop, total)
        audit.record(
            "binding_letters",
            user=actor,
            obj=estate,
            detail={"building": building.name if building is not None else None, "units": total},
        )
    return Issued(estate=estate, building=building, expires_on=expires_on, letters=letters)


# --------------------------------------------------------------------------- reads for the letters page


def buildings_with_counts(estate: Estate) -> list[Building]:
    """The estate's buildings, each with ``units`` (all) and ``owned`` (units with an owner in force
    today: the letters a printing makes). One query."""
    owned_q = Q(units__in=Unit.objects.filter(held(timezone.localdate(), unit__building__estate=estate)))
    return list(
        Building.objects.filter(estate=estate)
        .annotate(unit_count=Count("units", distinct=True), owned=Count("units", filter=owned_q, distinct=True))
        .order_by("pk")
    )


@dataclass
class Printing:
    """One printing of letters, as the history lists it."""

    printed_at: object
    printed_by: str
    units: int
    open: int
    used: int
    voided: int
    expired: int
    buildings: int


def print_history(estate: Estate, *, on: date | None = None, limit: int = 50) -> list[Printing]:
    """The estate's printings, newest first: who and when, how many units, and how many of the
    letters are still open on ``on`` (today), used (an owner bound with it), voided by a later
    printing, or expired unused. One query."""
    today = on or timezone.localdate()
    used = Exists(Binding.objects.filter(letter=OuterRef("pk")))
    rows = (
        BindingLetter.objects.filter(unit__building__estate=estate)
        .annotate(was_used=used)
        .values("printed_at", "printed_by__username")
        .annotate(
            units=Count("pk"),
            used=Count("pk", filter=Q(was_used=True)),
            voided=Count("pk", filter=Q(was_used=False, voided_at__isnull=False)),
            expired=Count("pk", filter=Q(was_used=False, voided_at__isnull=True, expires_on__lt=today)),
            open=Count("pk", filter=Q(was_used=False, voided_at__isnull=True, expires_on__gte=today)),
            buildings=Count("unit__building", distinct=True),
        )
        .order_by("-printed_at")[:limit]
    )
    return [
        Printing(
            printed_at=row["printed_at"],
            printed_by=row["printed_by__username"],
            units=row["units"],
            open=row["open"],
            used=row["used"],
            voided=row["voided"],
            expired=row["expired"],
            buildings=row["buildings"],
        )
        for row in rows
    ]
