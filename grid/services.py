"""Every change to a grid case goes through here: 收集 → 分派 → 处置 → 核查 → 督办.

* ``report_case``: a grid worker (anyone who may change the estate's registry) reports a
  problem on an estate in their grid: a category, a description and a photo.
* ``dispatch_case``: community staff (``dispatch_cases``) name the unit that will handle it.
* ``record_handling``: whoever may change the estate's registry (the grid worker, community
  staff) records that it was handled, with a note.
* ``verify_case``: community staff check the handling: passed closes the case, failed sends
  it back to handling.
* ``escalate_overdue``: the time-keeper, run by ``manage.py escalate_grid_cases``.

A case walks ``TRANSITIONS``; each move writes a ``GridCaseStep`` with who and when, restarts
the step's clock and sets its time limit from the rule set (``rules_for(estate)``:
``grid_dispatch_hours``, ``grid_handle_hours``, ``grid_verify_hours``).

Escalation (督办), one level per overrun limit: a step that runs past its limit L is raised
one level (grid → community → street → district) the moment it passes L, again once it passes
2L, and again at 3L. "Past" is strict: exactly at the limit is on time, one second over is
late. ``escalated_at`` keeps the moment the last overrun began, so a run at any time, or two
runs, give the same levels: the service is idempotent and does not depend on how often it
runs. The level never goes down; the next step starts a fresh clock at the level reached.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import access, uploads
from community.locks import lock_one, lock_rows
from community.models import Community, District, Estate, Grid, Street
from community.rules import rules_for
from community.sequences import next_number
from community.workflow import IllegalTransition, Workflow
from notifications.models import Event
from notifications.services import notify

from .models import LEVEL_ORDER, OPEN_STATUSES, CaseStatus, Category, GridCase, GridCaseStep, Level

S = CaseStatus

TRANSITIONS = {
    S.REPORTED: {S.DISPATCHED},
    S.DISPATCHED: {S.HANDLED},
    S.HANDLED: {S.CLOSED, S.DISPATCHED},  # 核查通过 closes; 核查不通过 sends it back to handling
    S.CLOSED: set(),
}
FLOW = Workflow(S, TRANSITIONS)
# The rule that limits the time a case may spend in each open status.
LIMIT_RULES = {S.REPORTED: "grid_dispatch_hours", S.DISPATCHED: "grid_handle_hours", S.HANDLED: "grid_verify_hours"}

MISSING = _("请填写“%(field)s”。")
NO_CATEGORY = _("请选择问题类别。")
NO_PHOTO = _("请拍摄或上传现场照片。")
CHECK_FIRST = _("案件已处置完毕，请先核查：核查不通过时退回处置。")
NOT_HANDLED_YET = _("案件尚未处置完毕，不能核查。")
ESCALATED = _("%(status)s环节超过时限 %(hours)s 小时，升级为%(level)s。")
ESCALATED_TO = "超时，升级为%(level)s"


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def limit(estate: Estate, status: str) -> timedelta:
    """How long a case in ``status`` may wait, by the estate's rule set."""
    return timedelta(hours=getattr(rules_for(estate), LIMIT_RULES[status]))


RULES_PATH = "grid__community__street__district__rule_set"


def _with_rules(estate: Estate) -> Estate:
    """The estate with its way up to the rule set read, reusing what the caller already read."""
    node, chain = (
        estate,
        [(Estate, "grid"), (Grid, "community"), (Community, "street"), (Street, "district"), (District, "rule_set")],
    )
    for model, name in chain:
        if node is None or not getattr(model, name).is_cached(node):
            return Estate.objects.select_related(RULES_PATH).get(pk=estate.pk)
        node = getattr(node, name)
    return estate


def _locked(case: GridCase) -> GridCase:
    """The case's row, locked for this transaction, with its estate's rules at hand."""
    locked = lock_one(GridCase, pk=case.pk)
    cached = GridCase.estate.is_cached(case) and case.estate_id == locked.estate_id
    locked.estate = _with_rules(case.estate if cached else Estate(pk=locked.estate_id))
    return locked


def _move(case: GridCase, to: str, *, actor, now: datetime, note: str = "", fields=()) -> GridCase:
    from_status = FLOW.move(case, to)
    case.step_started_at = now
    case.due_at = None if to == S.CLOSED else now + limit(case.estate, to)
    case.closed_at = now if to == S.CLOSED else None
    case.save(update_fields=["status", "step_started_at", "due_at", "closed_at", *fields])
    step = GridCaseStep.objects.create(
        case=case, from_status=from_status, to_status=to, level=case.level, at=now, by=actor, note=str(note)
    )
    if actor is None or actor.pk != case.reported_by_id:  # whoever moved their own case knows already
        what = MOVES.get((from_status, to), S(to).label)
        _tell_reporter(case, what=what, note=step.note, key=f"step:{step.pk}")
    return case


# What the reporter is told of each move (message text, stored as written, like a notice's).
MOVES = {
    (S.REPORTED, S.DISPATCHED): "已分派处置",
    (S.DISPATCHED, S.HANDLED): "已处置，待核查",
    (S.HANDLED, S.CLOSED): "核查通过，已结案",
    (S.HANDLED, S.DISPATCHED): "核查不通过，已退回处置",
}


def _tell_reporter(case: GridCase, *, what, note: str, key: str) -> None:
    """Tell whoever reported the case that it moved on; each step (or escalation) once."""
    if case.reported_by_id is None:
        return
    notify(
        event=Event.CASE_MOVED,
        recipients=[case.reported_by],
        title=f"网格案件 {case.number}：{what}",
        body=f"您上报的网格案件 {case.number}（{case.estate.name}，{case.get_category_display()}）{what}。\n{note}",
        link=reverse("grid:case", args=[case.pk]),
        subject=case,
        key=f"{Event.CASE_MOVED}:grid:{case.pk}:{key}",
    )


def _required(label, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(MISSING, params={"field": label})
    return value


@transaction.atomic
def report_case(
    *, actor, estate: Estate, category: str, description: str, photo, location: str = "", now: datetime | None = None
) -> GridCase:
    """收集: a problem found on an estate, with a photo. The case belongs to the estate's grid."""
    access.require(actor, access.CHANGE, estate)
    if category not in Category.values:
        raise ValidationError(NO_CATEGORY)
    description = _required(_("问题描述"), description)
    if not photo:
        raise ValidationError(NO_PHOTO)
    uploads.check(photo, uploads.PHOTO)
    now = _now(now)
    estate = _with_rules(estate)
    community = estate.grid.community
    year = timezone.localtime(now).year
    case = GridCase(
        number=f"{community.code}网〔{year}〕{next_number(f'网格案件/{community.pk}', year)}号",
        grid=estate.grid,
        estate=estate,
        category=category,
        description=description,
        location=(location or "").strip(),
        reported_at=now,
        reported_by=actor,
        step_started_at=now,
        due_at=now + limit(estate, S.REPORTED),
    )
    # The estate, grid and reporter are rows already read; the number is reserved above.
    case.full_clean(exclude=["number", "photo", "grid", "estate", "reported_by"], validate_constraints=False)
    # The file is written last, once everything else is known to be good.
    uploads.store(case.photo, photo, uploads.PHOTO)  # under a random name
    case.save()
    GridCaseStep.objects.create(
        case=case, to_status=S.REPORTED, level=case.level, at=now, by=actor, note=str(_("网格员上报"))
    )
    return case


@transaction.atomic
def dispatch_case(*, actor, case: GridCase, assignee: str, note: str = "", now: datetime | None = None) -> GridCase:
    """分派: name the unit that will handle the case (or hand it back to one after a failed check)."""
    case = _locked(case)
    access.require(actor, access.DISPATCH_CASES, case)
    if case.status == S.HANDLED:
        raise IllegalTransition(CHECK_FIRST)  # back to handling only through a failed check, with its reason
    case.assignee = _required(_("处置单位"), assignee)
    text = _("分派至：%(unit)s") % {"unit": case.assignee}
    return _move(
        case,
        S.DISPATCHED,
        actor=actor,
        now=_now(now),
        note=f"{text}\n{note.strip()}" if note.strip() else text,
        fields=["assignee"],
    )


@transaction.atomic
def record_handling(*, actor, case: GridCase, note: str, now: datetime | None = None) -> GridCase:
    """处置: the problem was dealt with; say how."""
    case = _locked(case)
    access.require(actor, access.CHANGE, case)
    note = _required(_("处置情况"), note)
    return _move(case, S.HANDLED, actor=actor, now=_now(now), note=note)


VERIFY_PASSED = _("核查通过，结案")
VERIFY_FAILED = _("核查不通过，退回处置：%(reason)s")


@transaction.atomic
def verify_case(*, actor, case: GridCase, passed: bool, note: str = "", now: datetime | None = None) -> GridCase:
    """核查: passed closes the case; failed sends it back to its handling unit (a reason is required)."""
    case = _locked(case)
    access.require(actor, access.DISPATCH_CASES, case)
    if case.status != S.HANDLED:
        raise IllegalTransition(NOT_HANDLED_YET)
    if passed:
        text = str(VERIFY_PASSED) + (f"\n{note.strip()}" if note.strip() else "")
        return _move(case, S.CLOSED, actor=actor, now=_now(now), note=text)
    reason = _required(_("不通过的原因"), note)
    return _move(case, S.DISPATCHED, actor=actor, now=_now(now), note=VERIFY_FAILED % {"reason": reason})


# --------------------------------------------------------------------------- 督办


def levels_due(case: GridCase, now: datetime) -> tuple[str, datetime | None]:
    """(the level the case should be at by ``now``, the moment its last overrun began).
    One level for each whole limit the current step has run past; never above the district."""
    if case.status not in OPEN_STATUSES:
        return case.level, case.escalated_at
    step = limit(case.estate, case.status)
    anchor = max(case.step_started_at, case.escalated_at or case.step_started_at)
    index, began = LEVEL_ORDER.index(Level(case.level)), None
    while index < len(LEVEL_ORDER) - 1 and now - anchor > step:
        anchor += step
        index, began = index + 1, anchor
    return LEVEL_ORDER[index], began


@transaction.atomic
def escalate_overdue(*, now: datetime | None = None, progress=None) -> int:
    """Raise every open case whose current step has overrun its limit, one level per overrun
    limit, logging each level as a step. Returns how many levels were raised. Idempotent."""
    now = _now(now)
    progress = progress or (lambda iterable, **kw: iterable)
    overdue = lock_rows(
        GridCase.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now)
        .exclude(level=Level.DISTRICT)
        .select_related(f"estate__{RULES_PATH}", "reported_by")
    )
    steps, raised = [], 0
    for case in progress(overdue, desc="网格案件督办", unit="件"):
        target, began = levels_due(case, now)
        start = LEVEL_ORDER.index(Level(case.level))
        end = LEVEL_ORDER.index(Level(target))
        if end == start:
            continue
        hours = int(limit(case.estate, case.status).total_seconds() // 3600)
        for level in LEVEL_ORDER[start + 1 : end + 1]:
            steps.append(
                GridCaseStep(
                    case=case,
                    from_status=case.status,
                    to_status=case.status,
                    level=level,
                    escalation=True,
                    at=now,
                    note=str(ESCALATED % {"status": S(case.status).label, "hours": hours, "level": Level(level).label}),
                )
            )
        case.level, case.escalated_at = target, began
        case.save(update_fields=["level", "escalated_at"])
        raised += end - start
        _tell_reporter(
            case,
            what=ESCALATED_TO % {"level": Level(target).label},
            note=steps[-1].note,
            key=f"level:{target}",  # the level only rises: each rise is told once
        )
    GridCaseStep.objects.bulk_create(steps)
    return raised
