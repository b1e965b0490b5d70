"""Every change to a case goes through here: one flow, 收集 → 分派 → 处置 → 核查 → 督办, for
every reporter (a grid worker, a resident, the city platform).

* ``report_case``: a grid worker (anyone who may change the estate's registry) reports a
  problem on an estate in their grid: a category, a description and one to
  ``request_photos_max`` photos; ``source=CITY`` for a case the city platform hands over.
* ``report_request``: a resident (an owner holding a unit of the estate today, or a household
  member of such a unit) reports a repair, a complaint or a suggestion, with up to
  ``request_photos_max`` photos. Its limit (``limit_at``) is its kind's rule. When a property
  company serves the estate under a contract in force, the request goes straight to the
  company's handling unit at level COMPANY, due at ``limit_at``; otherwise it starts in the
  community's grid flow like a grid worker's report.
* ``dispatch_case``: community staff (``dispatch_cases``) hand a case to an active handling unit
  of the estate's district, or hand it to another one (改派).
* ``assign_case``: the handling unit's staff (``handle_requests`` on the unit: a company's staff
  through their company, a utility's or a department's through ``Role.UNIT_STAFF`` on the unit)
  name one of their own as handler (受理派工).
* ``record_handling``: the handling unit's staff record the work, with photos; a grid case whose
  unit has no staff accounts is recorded, as before, by whoever may change the estate's registry.
* ``verify_case``: community staff check a case in the grid flow: passed closes it, failed sends
  it back to handling. A request still at level COMPANY is checked by its reporter instead:
* ``confirm_request`` (closed with a rating 1–5) or ``reopen_request`` (back to handling; once
  the reopenings pass ``request_reopen_max`` the request escalates to the community);
  ``rate_case``: the reporter rates a request closed by staff.
* ``escalate_overdue``: the time-keeper, run by ``manage.py escalate_grid_cases``.

A case walks ``TRANSITIONS``; each move writes a ``GridCaseStep`` with who and when, restarts
the step's clock and sets its time limit from the rule set (``rules_for(estate)``:
``grid_dispatch_hours``, ``grid_handle_hours``, ``grid_verify_hours``). A request at level
COMPANY is due at its ``limit_at`` while it waits or is worked, and, once handled, its reporter
has ``request_confirm_days`` to confirm or reopen it.

Escalation (督办), one level per overrun limit: a step that runs past its limit L is raised
one level (grid → community → street → district) the moment it passes L, again once it passes
2L, and again at 3L. A request at level COMPANY not handled by its ``limit_at`` goes to the
community the moment it passes it, then up the chain by the step limits. "Past" is strict:
exactly at the limit is on time, one second over is late. ``escalated_at`` keeps the moment the
last overrun began, so a run at any time, or two runs, give the same levels: the service is
idempotent and does not depend on how often it runs. The level never goes down; the next step
starts a fresh clock at the level reached. A handled request its reporter leaves unconfirmed
past ``request_confirm_days`` is closed by the time-keeper, without a rating.

Who is told (``notifications``, event ``case_moved``, each thing once): the reporter of every
move someone else makes and of every rise in level; the handling unit's staff when a case is
handed to their unit, and the handler named; the staff of the level a case rises to.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import access, uploads
from community.locks import lock_one, lock_rows
from community.models import Community, District, Estate, Grid, Ownership, Role, ServiceContract, Street
from community.rules import rules_for
from community.sequences import next_number
from community.workflow import IllegalTransition, Workflow
from notifications.models import Event
from notifications.services import notify
from residents.household import memberships

from . import signals
from .models import (
    LEVEL_ORDER,
    OPEN_STATUSES,
    REQUEST_LIMIT_RULES,
    CasePhoto,
    CaseStatus,
    Category,
    GridCase,
    GridCaseStep,
    HandlingUnit,
    Level,
    PhotoStage,
    RequestKind,
    Source,
)
from .units import company_unit

S = CaseStatus

TRANSITIONS = {
    S.REPORTED: {S.DISPATCHED},  # 分派 (community staff), or 受理派工 (the company, for a resident's request)
    S.DISPATCHED: {S.DISPATCHED, S.HANDLED},  # 改派 or a handler named again; 处置
    S.HANDLED: {S.CLOSED, S.DISPATCHED},  # 核查通过 / the reporter confirms; 核查不通过 / the reporter reopens
    S.CLOSED: set(),
}
FLOW = Workflow(S, TRANSITIONS)
# The rule that limits the time a case may spend in each open status.
LIMIT_RULES = {S.REPORTED: "grid_dispatch_hours", S.DISPATCHED: "grid_handle_hours", S.HANDLED: "grid_verify_hours"}
# The category a resident's request is counted under with the grid's cases.
KIND_CATEGORY = {
    RequestKind.UNIT_REPAIR: Category.FACILITY,
    RequestKind.COMMON_REPAIR: Category.FACILITY,
    RequestKind.COMPLAINT: Category.PROPERTY_SERVICE,
    RequestKind.SUGGESTION: Category.PROPERTY_SERVICE,
}

MISSING = _("请填写“%(field)s”。")
NO_CATEGORY = _("请选择问题类别。")
NO_KIND = _("请选择报事类型。")
NO_SOURCE = _("案件来源不正确。")
NO_PHOTO = _("请拍摄或上传现场照片。")
TOO_MANY_PHOTOS = _("最多上传 %(n)s 张照片。")
NOT_A_RESIDENT = _("只有本小区的业主或其家庭成员可以报事报修。")
NO_UNIT = _("户内报修请选择您的房屋。")
NOT_YOUR_UNIT = _("所选房屋不是您在本小区的房屋。")
CHECK_FIRST = _("案件已处置完毕，请先核查：核查不通过时退回处置。")
NOT_HANDLED_YET = _("案件尚未处置完毕，不能核查。")
BAD_UNIT = _("请选择本区在用的处置单位。")
SAME_UNIT = _("案件已分派给该单位。")
NOT_DISPATCHED = _("案件尚未分派处置单位。")
ALREADY_DONE = _("案件已处置完毕，不能再派工。")
NOT_STAFF = _("经办人须是本处置单位的工作人员。")
REPORTER_CHECKS = _("居民报事由报事人确认办结或重新打开；转入社区督办后由社区核查。")
COMMUNITY_CHECKS = _("该报事已转入社区督办，由社区核查办结情况。")
NOT_REPORTER = _("只有报事人本人可以确认、重新打开或评价。")
NOT_HANDLED_REQUEST = _("报事尚未处置完毕，不能确认或重新打开。")
BAD_RATING = _("请选择 1 到 5 星的评分。")
COMMENT_TOO_LONG = _("评价最多 %(n)s 字。")
NOT_CLOSED = _("报事办结后才能评价。")
ALREADY_RATED = _("该报事已评价，不能重复评价。")
ESCALATED = _("%(status)s环节超过时限 %(hours)s 小时，升级为%(level)s。")
LIMIT_PASSED = _("超过办结时限（%(limit)s），转入%(level)s。")
REOPENED_TOO_OFTEN = _("报事人第 %(n)s 次重新打开，转入%(level)s。")
AUTO_CLOSED = _("报事人 %(days)s 天内未确认，视为确认，自动结案。")
ESCALATED_TO = "超时，升级为%(level)s"
COMMENT_LENGTH = GridCase._meta.get_field("rating_comment").max_length
EXTERNAL_REF_LENGTH = GridCase._meta.get_field("external_ref").max_length
LOCATION_LENGTH = GridCase._meta.get_field("location").max_length
REF_TOO_LONG = _("外部编号最多 %(n)s 个字符。")
LOCATION_TOO_LONG = _("具体位置最多 %(n)s 个字。")


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def limit(estate: Estate, status: str) -> timedelta:
    """How long a case in ``status`` may wait in the grid flow, by the estate's rule set."""
    return timedelta(hours=getattr(rules_for(estate), LIMIT_RULES[status]))


def request_limit(estate: Estate, kind: str) -> timedelta:
    """How long a resident's request of ``kind`` may take from report to handled."""
    return timedelta(hours=getattr(rules_for(estate), REQUEST_LIMIT_RULES[RequestKind(kind)]))


def confirm_window(estate: Estate) -> timedelta:
    """How long the reporter has to confirm or reopen a handled request."""
    return timedelta(days=rules_for(estate).request_confirm_days)


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


def _due(case: GridCase, status: str, now: datetime) -> datetime | None:
    """The time limit of a step that starts ``now`` in ``status``."""
    if status == S.CLOSED:
        return None
    if case.level == Level.COMPANY:
        # With the company: due at the request's limit; once handled, the reporter's window.
        return now + confirm_window(case.estate) if status == S.HANDLED else case.limit_at
    return now + limit(case.estate, status)


def _move(case: GridCase, to: str, *, actor, now: datetime, note: str = "", fields=(), what=None) -> GridCase:
    from_status = FLOW.move(case, to)
    case.step_started_at = now
    case.due_at = _due(case, to, now)
    case.closed_at = now if to == S.CLOSED else None
    case.save(update_fields=["status", "step_started_at", "due_at", "closed_at", *fields])
    step = GridCaseStep.objects.create(
        case=case, from_status=from_status, to_status=to, level=case.level, at=now, by=actor, note=str(note)
    )
    signals.changed(case.pk, step.pk, signals.MOVED)
    if actor is None or actor.pk != case.reported_by_id:  # whoever moved their own case knows already
        what = what or MOVES.get((from_status, to), S(to).label)
        _tell_reporter(case, what=what, note=step.note, key=f"step:{step.pk}")
    return case


# What the reporter is told of each move (message text, stored as written, like a notice's).
MOVES = {
    (S.REPORTED, S.DISPATCHED): "已分派处置",
    (S.DISPATCHED, S.DISPATCHED): "已改派或重新派工",
    (S.DISPATCHED, S.HANDLED): "已处置，待核查",
    (S.HANDLED, S.CLOSED): "核查通过，已结案",
    (S.HANDLED, S.DISPATCHED): "核查不通过，已退回处置",
}
# A request at level COMPANY is checked by its reporter, so its moves read differently.
REQUEST_MOVES = {
    (S.REPORTED, S.DISPATCHED): "已受理派工",
    (S.DISPATCHED, S.HANDLED): "已处置，请确认并评价",
}


def _link(name: str, case: GridCase) -> str:
    return reverse(name, args=[case.pk])


def reporter_link(case: GridCase) -> str:
    """Where the reporter reads the case: a resident on their own request page (``grid:my_request``,
    the resident pages), anyone else on the case page."""
    if case.source == Source.RESIDENT:
        try:
            return _link("grid:my_request", case)
        except NoReverseMatch:  # the resident pages are not installed
            pass
    return _link("grid:case", case)


def unit_link(case: GridCase) -> str:
    """Where a handling unit's staff work the case: their queue's page (``grid:request``), or the case page."""
    try:
        return _link("grid:request", case)
    except NoReverseMatch:  # the handling units' pages are not installed
        return _link("grid:case", case)


def _title(case: GridCase) -> str:
    return f"居民报事 {case.number}" if case.source == Source.RESIDENT else f"网格案件 {case.number}"


def _what_about(case: GridCase) -> str:
    kind = case.get_kind_display() if case.kind else case.get_category_display()
    return f"{case.number}（{case.estate.name}，{kind}）"


def _tell_reporter(case: GridCase, *, what, note: str, key: str) -> None:
    """Tell whoever reported the case that it moved on; each step (or escalation) once."""
    if case.reported_by_id is None:
        return
    mine = "您的报事" if case.source == Source.RESIDENT else "您上报的网格案件"
    notify(
        event=Event.CASE_MOVED,
        recipients=[case.reported_by],
        title=f"{_title(case)}：{what}",
        body=f"{mine} {_what_about(case)}{what}。\n{note}",
        link=reporter_link(case),
        subject=case,
        key=f"{Event.CASE_MOVED}:grid:{case.pk}:{key}",
    )


def _tell_unit(case: GridCase, *, key: str, recipients=None, what="交由贵单位处置") -> None:
    """Tell the handling unit's staff (or ``recipients``) that a case was handed to them."""
    recipients = recipients if recipients is not None else access.holders(access.HANDLE_REQUESTS, case.handling_unit)
    if not recipients:  # a unit with no logins (yet) hears by phone
        return
    notify(
        event=Event.CASE_MOVED,
        recipients=recipients,
        title=f"{_title(case)}：{what}",
        body=f"{_what_about(case)}{what}。\n{case.description}",
        link=unit_link(case),
        subject=case,
        key=f"{Event.CASE_MOVED}:grid:{case.pk}:{key}",
    )


# The staff a case rising to a level answer to: (their role, the case's node they hold it on).
LEVEL_STAFF = {
    Level.COMMUNITY: (Role.COMMUNITY_STAFF, lambda estate: estate.grid.community),
    Level.STREET: (Role.STREET_STAFF, lambda estate: estate.grid.community.street),
    Level.DISTRICT: (Role.DISTRICT_ADMIN, lambda estate: estate.grid.community.street.district),
}


def _tell_level(case: GridCase, *, level: str, note: str) -> None:
    """Tell the staff of ``level`` that the case rose to them (each level once)."""
    if level not in LEVEL_STAFF:
        return
    role, node = LEVEL_STAFF[level]
    staff = access.users_with_role(role, node(case.estate))
    if not staff.exists():
        return
    notify(
        event=Event.CASE_MOVED,
        recipients=staff,
        title=f"{_title(case)}：升级为{Level(level).label}",
        body=f"{_what_about(case)}升级为{Level(level).label}。\n{note}",
        link=_link("grid:case", case),
        subject=case,
        key=f"{Event.CASE_MOVED}:grid:{case.pk}:staff:{level}",
    )


def _required(label, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(MISSING, params={"field": label})
    return value


def _checked_photos(estate: Estate, photos, *, least: int) -> list:
    """The uploads, each checked as a photo; between ``least`` and the rule set's number of them."""
    photos = [p for p in (photos or ()) if p]
    most = rules_for(estate).request_photos_max
    if len(photos) < least:
        raise ValidationError(NO_PHOTO)
    if len(photos) > most:
        raise ValidationError(TOO_MANY_PHOTOS, params={"n": most})
    for photo in photos:
        uploads.check(photo, uploads.PHOTO)
    return photos


def _store_photos(case: GridCase, photos, *, stage: str, actor, now: datetime) -> None:
    """The checked uploads, written last (under random names), once everything else is known good."""
    rows = []
    for upload in photos:
        row = CasePhoto(case=case, stage=stage, at=now, by=actor)
        uploads.store(row.image, upload, uploads.PHOTO)
        rows.append(row)
    CasePhoto.objects.bulk_create(rows)


def _number(estate: Estate, now: datetime, *, resident: bool) -> str:
    community = estate.grid.community
    year = timezone.localtime(now).year
    if resident:
        return f"{community.code}报〔{year}〕{next_number(f'居民报事/{community.pk}', year)}号"
    return f"{community.code}网〔{year}〕{next_number(f'网格案件/{community.pk}', year)}号"


def _create(case: GridCase, *, actor, photos, now: datetime, note: str) -> GridCase:
    # The estate, grid and reporter are rows already read; the number is reserved.
    case.full_clean(
        exclude=["number", "grid", "estate", "reported_by", "unit", "handling_unit"], validate_constraints=False
    )
    case.save()
    step = GridCaseStep.objects.create(case=case, to_status=S.REPORTED, level=case.level, at=now, by=actor, note=note)
    _store_photos(case, photos, stage=PhotoStage.REPORT, actor=actor, now=now)
    signals.changed(case.pk, step.pk, signals.REPORTED)
    return case


@transaction.atomic
def report_case(
    *,
    actor,
    estate: Estate,
    category: str,
    description: str,
    photos,
    location: str = "",
    source: str = Source.GRID,
    external_ref: str = "",
    now: datetime | None = None,
) -> GridCase:
    """收集: a problem found on an estate, with one or more photos. The case belongs to the
    estate's grid. ``source=CITY``: a case the city platform hands over (the same flow): its
    client needs ``report_cases`` on the estate instead of ``change``, may send no photo (they
    follow by ``add_report_photo`` when sent as addresses) and names the case by its own
    ``external_ref``."""
    if source not in (Source.GRID, Source.CITY):
        raise ValidationError(NO_SOURCE)
    city = source == Source.CITY
    access.require(actor, access.REPORT_CASES if city else access.CHANGE, estate)
    external_ref = (external_ref or "").strip() if city else ""
    if len(external_ref) > EXTERNAL_REF_LENGTH:
        raise ValidationError(REF_TOO_LONG, params={"n": EXTERNAL_REF_LENGTH})
    if len((location or "").strip()) > LOCATION_LENGTH:
        raise ValidationError(LOCATION_TOO_LONG, params={"n": LOCATION_LENGTH})
    if category not in Category.values:
        raise ValidationError(NO_CATEGORY)
    description = _required(_("问题描述"), description)
    estate = _with_rules(estate)
    photos = _checked_photos(estate, photos, least=0 if city else 1)
    now = _now(now)
    case = GridCase(
        number=_number(estate, now, resident=False),
        external_ref=external_ref,
        grid=estate.grid,
        estate=estate,
        source=source,
        category=category,
        description=description,
        location=(location or "").strip(),
        reported_at=now,
        reported_by=actor,
        step_started_at=now,
        due_at=now + limit(estate, S.REPORTED),
    )
    note = str(_("城市平台转办") if source == Source.CITY else _("网格员上报"))
    return _create(case, actor=actor, photos=photos, now=now, note=note)


@transaction.atomic
def add_report_photo(*, actor, case: GridCase, upload, now: datetime | None = None) -> CasePhoto:
    """A report photo that follows a city-platform case (fetched from the address its client
    gave), checked like an uploaded one and within the rule set's number of photos."""
    case = _locked(case)
    if case.source != Source.CITY:
        raise ValidationError(NO_SOURCE)
    access.require(actor, access.REPORT_CASES, case.estate)
    most = rules_for(case.estate).request_photos_max
    if case.photos.filter(stage=PhotoStage.REPORT).count() >= most:
        raise ValidationError(TOO_MANY_PHOTOS, params={"n": most})
    row = CasePhoto(case=case, stage=PhotoStage.REPORT, at=_now(now), by=actor)
    uploads.store(row.image, upload, uploads.PHOTO)
    row.save()
    return row


def reporter_units(user, estate: Estate, *, on=None) -> set[int]:
    """The units of ``estate`` whose resident ``user`` is today: held by their owner record, or
    the home of their household membership. Two queries."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    on = on or timezone.localdate()
    held = Ownership.objects.in_force(on).filter(owner__user=user, unit__building__estate=estate)
    homes = memberships(user, on).filter(unit__building__estate=estate)
    return set(held.values_list("unit_id", flat=True)) | set(homes.values_list("unit_id", flat=True))


def serving_company(estate: Estate, on):
    """The property company serving ``estate`` under a contract in force on ``on``, or None."""
    contract = ServiceContract.objects.in_force(on).filter(estate=estate).select_related("company").first()
    return contract.company if contract else None


@transaction.atomic
def report_request(
    *,
    actor,
    estate: Estate,
    kind: str,
    description: str,
    location: str = "",
    unit=None,
    photos=(),
    now: datetime | None = None,
) -> GridCase:
    """A resident reports a repair in their unit or a common part, a complaint or a suggestion.
    It goes to the company serving the estate (level COMPANY, due at its kind's limit), or, with
    no company, into the community's grid flow."""
    now = _now(now)
    units = reporter_units(actor, estate, on=timezone.localdate(now))
    if not units:
        raise PermissionDenied(NOT_A_RESIDENT)
    if kind not in RequestKind.values:
        raise ValidationError(NO_KIND)
    if kind == RequestKind.UNIT_REPAIR and unit is None:
        raise ValidationError(NO_UNIT)
    if unit is not None and unit.pk not in units:
        raise ValidationError(NOT_YOUR_UNIT)
    description = _required(_("问题描述"), description)
    estate = _with_rules(estate)
    photos = _checked_photos(estate, photos, least=0)
    limit_at = now + request_limit(estate, kind)
    company = serving_company(estate, timezone.localdate(now))
    case = GridCase(
        number=_number(estate, now, resident=True),
        grid=estate.grid,
        estate=estate,
        source=Source.RESIDENT,
        kind=kind,
        unit=unit,
        category=KIND_CATEGORY[RequestKind(kind)],
        description=description,
        location=(location or "").strip(),
        reported_at=now,
        reported_by=actor,
        limit_at=limit_at,
        step_started_at=now,
    )
    if company is not None:
        case.handling_unit = company_unit(company, district=estate.district)
        case.level, case.due_at = Level.COMPANY, limit_at
    else:
        case.level, case.due_at = Level.GRID, now + limit(estate, S.REPORTED)
    case = _create(case, actor=actor, photos=photos, now=now, note=str(_("居民报事")))
    if case.handling_unit is not None:
        _tell_unit(case, key="unit:reported", what="居民报事，请受理")
    return case


def _unit_in_reach(case: GridCase, unit) -> HandlingUnit:
    if not isinstance(unit, HandlingUnit) or not unit.active or unit.district_id != case.estate.district.pk:
        raise ValidationError(BAD_UNIT)
    return unit


@transaction.atomic
def dispatch_case(
    *, actor, case: GridCase, unit: HandlingUnit, note: str = "", now: datetime | None = None
) -> GridCase:
    """分派: hand the case to a handling unit, or to another one (改派). The unit's staff are told."""
    case = _locked(case)
    access.require(actor, access.DISPATCH_CASES, case)
    if case.status == S.HANDLED:
        raise IllegalTransition(CHECK_FIRST)  # back to handling only through a failed check, with its reason
    FLOW.check(case.status, S.DISPATCHED)
    unit = _unit_in_reach(case, unit)
    if unit.pk == case.handling_unit_id and case.status == S.DISPATCHED:
        raise ValidationError(SAME_UNIT)
    again = case.status == S.DISPATCHED
    case.handling_unit, case.handler = unit, None
    text = (_("改派至：%(unit)s") if again else _("分派至：%(unit)s")) % {"unit": unit.name}
    case = _move(
        case,
        S.DISPATCHED,
        actor=actor,
        now=_now(now),
        note=f"{text}\n{note.strip()}" if note.strip() else text,
        fields=["handling_unit", "handler"],
    )
    _tell_unit(case, key=f"unit:{case.steps.last().pk}")
    return case


@transaction.atomic
def assign_case(*, actor, case: GridCase, handler, note: str = "", now: datetime | None = None) -> GridCase:
    """受理派工: the handling unit's staff name the one of them who will do the work. A request
    waiting at the company moves to handling; a case in handling keeps its status (the step
    records the new handler)."""
    case = _locked(case)
    if case.handling_unit_id is None:
        raise IllegalTransition(NOT_DISPATCHED)
    unit = HandlingUnit.objects.get(pk=case.handling_unit_id)
    access.require(actor, access.HANDLE_REQUESTS, unit)
    if case.status in (S.HANDLED, S.CLOSED):
        raise IllegalTransition(ALREADY_DONE)
    if handler is None or not access.holders(access.HANDLE_REQUESTS, unit).filter(pk=handler.pk).exists():
        raise ValidationError(NOT_STAFF)
    case.handler = handler
    name = handler.get_full_name() or handler.get_username()
    text = _("派工：%(unit)s %(name)s") % {"unit": unit.name, "name": name}
    case = _move(
        case,
        S.DISPATCHED,
        actor=actor,
        now=_now(now),
        note=f"{text}\n{note.strip()}" if note.strip() else text,
        fields=["handler"],
        what=REQUEST_MOVES.get((S.REPORTED, S.DISPATCHED)) if case.level == Level.COMPANY else None,
    )
    if actor is None or handler.pk != actor.pk:
        _tell_unit(case, key=f"handler:{case.steps.last().pk}", recipients=[handler], what="派您处置")
    return case


def may_record(user, case: GridCase) -> bool:
    """Whether ``user`` may record the handling: the handling unit's staff; for a grid or city
    case whose unit has no staff accounts (or that has no unit), whoever may change the estate."""
    if case.handling_unit_id is not None:
        unit = HandlingUnit.objects.get(pk=case.handling_unit_id)
        if access.can(user, access.HANDLE_REQUESTS, unit):
            return True
        if case.source == Source.RESIDENT or access.holders(access.HANDLE_REQUESTS, unit).exists():
            return False
    return case.source != Source.RESIDENT and access.can(user, access.CHANGE, case)


@transaction.atomic
def record_handling(*, actor, case: GridCase, note: str, photos=(), now: datetime | None = None) -> GridCase:
    """处置: the problem was dealt with; say how, with photos of the work if there are any."""
    case = _locked(case)
    if actor is not None and not may_record(actor, case):
        raise PermissionDenied(access.NOT_ALLOWED)
    note = _required(_("处置情况"), note)
    FLOW.check(case.status, S.HANDLED)
    photos = _checked_photos(case.estate, photos, least=0)
    now = _now(now)
    what = REQUEST_MOVES.get((S.DISPATCHED, S.HANDLED)) if case.level == Level.COMPANY else None
    case = _move(case, S.HANDLED, actor=actor, now=now, note=note, what=what)
    _store_photos(case, photos, stage=PhotoStage.WORK, actor=actor, now=now)
    return case


VERIFY_PASSED = _("核查通过，结案")
VERIFY_FAILED = _("核查不通过，退回处置：%(reason)s")


@transaction.atomic
def verify_case(*, actor, case: GridCase, passed: bool, note: str = "", now: datetime | None = None) -> GridCase:
    """核查: passed closes the case; failed sends it back to its handling unit (a reason is required).
    A request still with the company is its reporter's to check."""
    case = _locked(case)
    access.require(actor, access.DISPATCH_CASES, case)
    if case.status != S.HANDLED:
        raise IllegalTransition(NOT_HANDLED_YET)
    if case.level == Level.COMPANY:
        raise IllegalTransition(REPORTER_CHECKS)
    if passed:
        text = str(VERIFY_PASSED) + (f"\n{note.strip()}" if note.strip() else "")
        return _move(case, S.CLOSED, actor=actor, now=_now(now), note=text)
    reason = _required(_("不通过的原因"), note)
    return _move(case, S.DISPATCHED, actor=actor, now=_now(now), note=VERIFY_FAILED % {"reason": reason})


# --------------------------------------------------------------------------- the reporter's check


def _reporters(actor, case: GridCase) -> GridCase:
    """The case, locked, if ``actor`` reported it (a resident's request); refused otherwise."""
    case = _locked(case)
    if actor is None or case.source != Source.RESIDENT or case.reported_by_id != actor.pk:
        raise PermissionDenied(NOT_REPORTER)
    return case


def _rating(rating, comment: str) -> tuple[int, str]:
    try:
        value = int(rating)
    except (TypeError, ValueError):
        raise ValidationError(BAD_RATING) from None
    if str(value) != str(rating).strip() or not 1 <= value <= 5:
        raise ValidationError(BAD_RATING)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LENGTH:
        raise ValidationError(COMMENT_TOO_LONG, params={"n": COMMENT_LENGTH})
    return value, comment


def _awaiting_reporter(case: GridCase) -> None:
    if case.status != S.HANDLED:
        raise IllegalTransition(NOT_HANDLED_REQUEST)
    if case.level != Level.COMPANY:
        raise IllegalTransition(COMMUNITY_CHECKS)


@transaction.atomic
def confirm_request(*, actor, case: GridCase, rating, comment: str = "", now: datetime | None = None) -> GridCase:
    """The reporter confirms the work: the request closes with a rating of 1 to 5."""
    case = _reporters(actor, case)
    _awaiting_reporter(case)
    value, comment = _rating(rating, comment)
    now = _now(now)
    case.rating, case.rating_comment, case.rated_at = value, comment, now
    note = _("报事人确认办结，评分 %(n)s 星。") % {"n": value}
    return _move(
        case,
        S.CLOSED,
        actor=actor,
        now=now,
        note=f"{note}\n{comment}" if comment else note,
        fields=["rating", "rating_comment", "rated_at"],
    )


@transaction.atomic
def reopen_request(*, actor, case: GridCase, reason: str, now: datetime | None = None) -> GridCase:
    """The reporter is not satisfied: back to handling. Once the reopenings pass the rule set's
    ``request_reopen_max`` the request escalates to the community, whose staff are told."""
    case = _reporters(actor, case)
    _awaiting_reporter(case)
    reason = _required(_("重新打开的原因"), reason)
    now = _now(now)
    case.reopened += 1
    case = _move(
        case,
        S.DISPATCHED,
        actor=actor,
        now=now,
        note=_("报事人重新打开：%(reason)s") % {"reason": reason},
        fields=["reopened"],
    )
    if case.reopened > rules_for(case.estate).request_reopen_max:
        note = str(REOPENED_TOO_OFTEN % {"n": case.reopened, "level": Level.COMMUNITY.label})
        _escalate_request(case, began=now, now=now, note=note)
        case.due_at = now + limit(case.estate, case.status)  # the community's clock for handling
        case.save(update_fields=["due_at"])
    return case


@transaction.atomic
def rate_case(*, actor, case: GridCase, rating, comment: str = "", now: datetime | None = None) -> GridCase:
    """The reporter rates a request closed by staff (or by the time-keeper), once."""
    case = _reporters(actor, case)
    if case.status != S.CLOSED:
        raise IllegalTransition(NOT_CLOSED)
    if case.rating is not None:
        raise ValidationError(ALREADY_RATED)
    case.rating, case.rating_comment = _rating(rating, comment)
    case.rated_at = _now(now)
    case.save(update_fields=["rating", "rating_comment", "rated_at"])
    return case


# --------------------------------------------------------------------------- 督办


def _escalate_request(case: GridCase, *, began: datetime, now: datetime, note: str) -> None:
    """A request leaves the company for the community's grid flow (its level only rises)."""
    case.level, case.escalated_at = Level.COMMUNITY, began
    case.save(update_fields=["level", "escalated_at"])
    step = GridCaseStep.objects.create(
        case=case, from_status=case.status, to_status=case.status, level=case.level, escalation=True, at=now, note=note
    )
    signals.changed(case.pk, step.pk, signals.ESCALATED)
    _tell_reporter(case, what=ESCALATED_TO % {"level": Level.COMMUNITY.label}, note=note, key="level:community")
    _tell_level(case, level=Level.COMMUNITY, note=note)


def levels_due(case: GridCase, now: datetime) -> tuple[str, datetime | None]:
    """(the level the case should be at by ``now``, the moment its last overrun began).
    One level for each whole limit the current step has run past; never above the district.
    A request with the company goes to the community once ``now`` is past its ``limit_at`` (or,
    reopened after it, past the reopening), then rises by the grid's step limits from there; a
    handled one waits for its reporter, not for a level."""
    if case.status not in OPEN_STATUSES:
        return case.level, case.escalated_at
    index, began = LEVEL_ORDER.index(Level(case.level)), None
    anchor = max(case.step_started_at, case.escalated_at or case.step_started_at)
    if case.level == Level.COMPANY:
        if case.status == S.HANDLED or now <= case.limit_at:
            return case.level, case.escalated_at
        anchor = began = max(case.limit_at, case.step_started_at)
        index = LEVEL_ORDER.index(Level.COMMUNITY)
    step = limit(case.estate, case.status)
    while index < len(LEVEL_ORDER) - 1 and now - anchor > step:
        anchor += step
        index, began = index + 1, anchor
    return LEVEL_ORDER[index], began


@transaction.atomic
def escalate_overdue(*, now: datetime | None = None, progress=None) -> int:
    """Raise every open case whose current step has overrun its limit, one level per overrun
    limit, logging each level as a step and telling the reporter and the level reached; close
    the handled requests their reporters left unconfirmed past the window. Returns how many
    levels were raised and requests closed. Idempotent."""
    now = _now(now)
    progress = progress or (lambda iterable, **kw: iterable)
    overdue = lock_rows(
        GridCase.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now)
        .exclude(level=Level.DISTRICT)
        .select_related(f"estate__{RULES_PATH}", "reported_by")
    )
    steps, raised = [], 0
    for case in progress(overdue, desc="网格案件督办", unit="件"):
        if case.level == Level.COMPANY and case.status == S.HANDLED:
            days = rules_for(case.estate).request_confirm_days
            _move(case, S.CLOSED, actor=None, now=now, note=AUTO_CLOSED % {"days": days}, what="逾期未确认，自动结案")
            raised += 1
            continue
        target, began = levels_due(case, now)
        start = LEVEL_ORDER.index(Level(case.level))
        end = LEVEL_ORDER.index(Level(target))
        if end == start:
            continue
        hours = int(limit(case.estate, case.status).total_seconds() // 3600)
        for level in LEVEL_ORDER[start + 1 : end + 1]:
            if level == Level.GRID:
                continue  # a request leaves the company straight for the community
            if case.level == Level.COMPANY and level == Level.COMMUNITY:
                note = LIMIT_PASSED % {
                    "limit": timezone.localtime(case.limit_at).strftime("%Y-%m-%d %H:%M"),
                    "level": Level(level).label,
                }
            else:
                note = ESCALATED % {"status": S(case.status).label, "hours": hours, "level": Level(level).label}
            steps.append(
                GridCaseStep(
                    case=case,
                    from_status=case.status,
                    to_status=case.status,
                    level=level,
                    escalation=True,
                    at=now,
                    note=str(note),
                )
            )
        raised += sum(1 for level in LEVEL_ORDER[start + 1 : end + 1] if level != Level.GRID)
        case.level, case.escalated_at = target, began
        case.save(update_fields=["level", "escalated_at"])
        _tell_reporter(
            case,
            what=ESCALATED_TO % {"level": Level(target).label},
            note=steps[-1].note,
            key=f"level:{target}",  # the level only rises: each rise is told once
        )
        _tell_level(case, level=target, note=steps[-1].note)
    GridCaseStep.objects.bulk_create(steps)
    last = {}
    for step in steps:  # one event per case raised: its last level
        last[step.case_id] = step.pk
    for case_id, step_id in last.items():
        signals.changed(case_id, step_id, signals.ESCALATED)
    return raised
