"""Owners' votes (业主大会表决), one use case a function: convene, cast, enter paper ballots,
close; and link a property-service contract to the vote that decided it.

Each function is keyword-only and atomic, checking access through community.access. The
count itself is committees/votes/tally.py, fed by committees/votes/selectors.py; this
module writes what they say, and freezes the figures when a vote closes.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms import services as cms
from community import access, audit, uploads
from community.legaltime import days_before
from community.locks import lock_one
from community.models import Owner, Ownership, ServiceContract, Unit
from community.privacy import mask_name
from community.rules import rules_for
from notifications.models import Event, Message
from notifications.services import notify

from .. import steward
from ..models import (
    Ballot,
    Candidate,
    ContractDecision,
    ContractDecisionKind,
    Matter,
    ServiceMethod,
    Vote,
    VoteService,
    VoteStatus,
)
from . import proxies
from .selectors import (
    by_proxy,
    candidates_of,
    closing_votes,
    count,
    election_count,
    election_figures,
    eligible_owners,
    holder_keys,
    holdings_of,
    owners_yet_to_vote,
    scope_of,
    service_record,
)
from .tally import ABSTAIN, NO, YES, TallyResult, holder_key, holder_of, share_text

NOT_ALLOWED = _("您没有权限进行此操作。")
NOTICE_TOO_LATE = _("业主大会须提前 %(days)s 日通知：最早可于 %(day)s 开始表决。")
NOT_OPEN = _("表决不在进行中。")
NOT_A_HOLDER = _("您不是本次表决范围内这份表决权的持有人。")
ALREADY_VOTED = _("这份表决权已经投过票，每份只计一次。")
TOO_EARLY_TO_CLOSE = _("表决期尚未结束，不能计票。")
ALREADY_CLOSED = _("表决已经结束。")
BAD_CHOICE = _("意见只能是同意、反对或弃权。")
BAD_LINE = _("第 %(n)s 行“%(line)s”：应为“楼栋 房号%(tail)s”。")
UNKNOWN_UNIT = _("第 %(n)s 行：本小区没有“%(building)s %(room)s”。")
OUT_OF_SCOPE = _("第 %(n)s 行：%(building)s %(room)s 不在本次表决范围内。")
CONFLICT = _("第 %(n)s 行：%(building)s %(room)s 与第 %(first)s 行属同一表决权人，意见却不同。")
NO_LINES = _("请至少填写一行。")
CHOICE_WORDS = {"同意": YES, "反对": NO, "弃权": ABSTAIN, "yes": YES, "no": NO, "abstain": ABSTAIN}

# elections with candidates (matter 3)
ELECTION_ONLY_FOR_COMMITTEE = _("只有“选举业主委员会或者更换业主委员会成员”（第三项）的表决可以设候选人和应选名额。")
SEATS_NEEDED = _("设候选人的选举须填写应选名额。")
CANDIDATES_NEEDED = _("选举须填写候选人。")
SEATS_OUT_OF_RULE = _("应选名额须为 %(min)s 至 %(max)s 名%(odd)s，现为 %(n)s 名。")
TOO_FEW_CANDIDATES = _("候选人（%(n)s 人）不能少于应选名额（%(seats)s 名）。")
CANDIDATE_NOT_OWNER = _("候选人须为本小区业主：%(names)s 不是。")
CANDIDATE_TWICE = _("%(name)s 被重复列为候选人。")
STATEMENT_NEEDED = _("请填写候选人 %(name)s 的简介。")
STATEMENT_TOO_LONG = _("候选人 %(name)s 的简介超过 %(max)s 字。")
NOT_AN_ELECTION_BALLOT = _("本次表决不是选举，不能选择候选人。")
PICK_OR_ABSTAIN = _("请在候选人中选择，或选择弃权。")
TOO_MANY_PICKS = _("最多选 %(seats)s 人，您选了 %(n)s 人。")
PICKED_TWICE = _("同一候选人只能选一次。")
UNKNOWN_CANDIDATE = _("所选候选人不在本次选举中。")
BAD_ELECTION_LINE = _("第 %(n)s 行“%(line)s”：应为“楼栋 房号 候选人编号[,编号…]”或“楼栋 房号 弃权”。")
UNKNOWN_POSITION = _("第 %(n)s 行：没有 %(positions)s 号候选人。")
POSITION_TWICE = _("第 %(n)s 行：同一候选人编号写了两次。")
TOO_MANY_ON_LINE = _("第 %(n)s 行：选了 %(count)s 人，最多选 %(seats)s 人。")
CANDIDATE_LINE = _("第 %(n)s 行“%(line)s”：应为“楼栋 房号 姓名 简介”。")
CANDIDATE_UNKNOWN_UNIT = _("第 %(n)s 行：本小区没有“%(building)s %(room)s”。")
CANDIDATE_NOT_OF_UNIT = _("第 %(n)s 行：%(building)s %(room)s 的业主中没有“%(name)s”。")
STATEMENT_MAX = 500
ABSTAIN_WORDS = ("弃权", "abstain")
# why an election's count forms no committee (frozen in result["election"]["reason"])
NO_QUORUM_REASON = _("未达到参与表决的法定比例")
SHORT_REASON = _("当选 %(n)s 人，少于业主委员会最少 %(min)s 人")
EVEN_REASON = _("当选 %(n)s 人，业主委员会委员人数须为单数")
TOO_MANY_REASON = _("当选 %(n)s 人，多于业主委员会最多 %(max)s 人")
GONE_REASON = _("当选人 %(names)s 在计票日已不是本小区业主")

# linking a contract to the vote that decided it
VOTE_OTHER_ESTATE = _("该表决不是本小区的业主表决。")
VOTE_OTHER_MATTER = _(
    "只有“选聘和解聘物业服务企业或者其他管理人”（民法典第二百七十八条第四项）的表决才能作为合同依据。"
)
VOTE_NOT_CLOSED = _("该表决尚未结束计票，不能作为合同依据。")
VOTE_NOT_PASSED = _("该表决未获通过，不能作为合同依据。")
DISMISS_NOT_ENDED = _("合同尚未提前终止，不能关联解聘表决；请先登记提前终止。")
ALREADY_LINKED = _("该合同已关联%(kind)s表决（%(vote)s）。")
VOTE_ALREADY_USED = _("该表决已作为另一份合同的%(kind)s依据（%(contract)s）。")
BAD_KIND = _("请选择“选聘”或“解聘”。")

# service of notice on paper (送达)
NO_OWNERS = _("请至少选择一位业主。")
BAD_METHOD = _("送达方式只能是张贴或当面送达。")
POSTING_NEEDS_PHOTO = _("张贴送达须上传张贴现场的照片。")
OWNER_OUT_OF_SCOPE = _("%(names)s 不在本次表决范围内，无需送达。")
ALREADY_SERVED = _("%(names)s 的书面送达已经登记过。")
SERVED_IN_FUTURE = _("送达日期不能晚于今天。")
SERVED_BEFORE_CONVENING = _("送达日期不能早于表决召集日（%(day)s）。")


@transaction.atomic
def convene_vote(
    *,
    actor,
    estate,
    matter: int,
    question: str,
    opens_at: datetime,
    closes_at: datetime,
    buildings=(),
    units=(),
    now: datetime | None = None,
    branch_review=None,
    seats: int | None = None,
    candidates=(),
) -> Vote:
    """Convene a vote; owners are told at least the rule set's notice period ahead, by a drafted notice.
    ``buildings`` and ``units`` narrow who votes (the whole estate when both are empty).
    A major matter in an estate with a party branch needs the branch's review first (committees.steward).
    An election of the committee (matter 3) names its ``seats`` and its ``candidates``, pairs of
    (Owner, statement) in the order they are printed on the ballot."""
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, estate):
        raise PermissionDenied(NOT_ALLOWED)
    steward.check_review(estate, matter, branch_review)
    notice_days = rules_for(estate).assembly_notice_days
    today = timezone.localdate(now or timezone.now())
    if days_before(timezone.localdate(opens_at), notice_days) < today:
        raise ValidationError(NOTICE_TOO_LATE, params={"days": notice_days, "day": today + timedelta(days=notice_days)})
    candidates = [(owner, (statement or "").strip()) for owner, statement in candidates]
    if seats is not None or candidates:
        _check_election(estate, matter, seats, candidates, today)
    vote = Vote(
        estate=estate,
        matter=matter,
        question=question,
        opens_at=opens_at,
        closes_at=closes_at,
        convened_by=actor,
        seats=seats,
    )
    vote.full_clean()
    vote.save()
    Candidate.objects.bulk_create(
        [
            Candidate(vote=vote, owner=owner, statement=statement, position=n)
            for n, (owner, statement) in enumerate(candidates, start=1)
        ]
    )
    vote.buildings.set(buildings)
    units = list(units)
    vote.units.set(units)
    if branch_review is not None:
        branch_review.vote = vote
        branch_review.save(update_fields=["vote"])
    scope = "、".join(b.name for b in buildings) or "全体业主"
    if units:
        scope = f"{scope}中的 {len(units)} 户" if buildings else f"指定的 {len(units)} 户"
    vote.notice = cms.draft_notice(
        estate=estate,
        category="votes",
        title=f"{estate.name}业主大会表决公告：{question}",
        body=(
            f"表决事项：{Matter(matter).label}（民法典第二百七十八条第{matter}项）。\n"
            f"表决内容：{question}\n表决范围：{scope}。\n"
            f"表决时间：{timezone.localtime(opens_at):%Y年%m月%d日 %H:%M} "
            f"至 {timezone.localtime(closes_at):%Y年%m月%d日 %H:%M}。\n"
            f"{_candidate_lines(vote, candidates)}"
            "业主可登录本系统在线表决，也可向业主委员会提交书面表决票。共有人通过一名代表表决。"
        ),
        publicity_days=(timezone.localdate(closes_at) - today).days + 1,
        source=f"committees.Vote:{vote.pk}",
    )
    vote.save(update_fields=["notice"])
    audit.record(
        "vote_convene",
        user=actor,
        obj=vote,
        detail={"estate": estate.pk, "matter": matter, "scope": scope, "closes_at": closes_at.isoformat()},
    )
    _tell_convened(vote, scope, candidates)
    return vote


def _check_election(estate, matter: int, seats, candidates: list, today) -> None:
    """An election's seats and candidates against the rule set, every problem reported at once."""
    if matter != Matter.COMMITTEE:
        raise ValidationError(ELECTION_ONLY_FOR_COMMITTEE)
    if seats is None:
        raise ValidationError(SEATS_NEEDED)
    if not candidates:
        raise ValidationError(CANDIDATES_NEEDED)
    rules = rules_for(estate)
    errors = []
    if not rules.committee_min_members <= seats <= rules.committee_max_members or (
        rules.committee_members_odd and seats % 2 == 0
    ):
        errors.append(
            ValidationError(
                SEATS_OUT_OF_RULE,
                params={
                    "min": rules.committee_min_members,
                    "max": rules.committee_max_members,
                    "odd": _("且为单数") if rules.committee_members_odd else "",
                    "n": seats,
                },
            )
        )
    if len(candidates) < seats:
        errors.append(ValidationError(TOO_FEW_CANDIDATES, params={"n": len(candidates), "seats": seats}))
    owners = [owner for owner, _statement in candidates]
    holding = set(
        Ownership.objects.in_force(today)
        .filter(unit__building__estate=estate, owner__in=owners, owner__is_developer=False)
        .values_list("owner_id", flat=True)
    )
    strangers = [o.name for o in owners if o.pk not in holding]
    if strangers:
        errors.append(ValidationError(CANDIDATE_NOT_OWNER, params={"names": "、".join(strangers)}))
    seen = set()
    for owner, statement in candidates:
        if owner.pk in seen:
            errors.append(ValidationError(CANDIDATE_TWICE, params={"name": owner.name}))
        seen.add(owner.pk)
        if not statement:
            errors.append(ValidationError(STATEMENT_NEEDED, params={"name": owner.name}))
        elif len(statement) > STATEMENT_MAX:
            errors.append(ValidationError(STATEMENT_TOO_LONG, params={"name": owner.name, "max": STATEMENT_MAX}))
    if errors:
        raise ValidationError(errors)


def _candidate_lines(vote: Vote, candidates) -> str:
    """The candidates as the convening notice and message list them: position, masked name, statement."""
    if not vote.is_election:
        return ""
    lines = "\n".join(
        f"{n}号 {mask_name(owner.name)}：{statement}" for n, (owner, statement) in enumerate(candidates, start=1)
    )
    return (
        f"应选名额：{vote.seats} 名，每位业主最多选 {vote.seats} 人。\n候选人（共 {len(candidates)} 人）：\n{lines}\n"
    )


def read_candidate_lines(estate, text: str) -> list[tuple[Owner, str]]:
    """Parse lines of "楼栋 房号 姓名 简介" typed by the convener into (Owner, statement), each
    name resolved among the unit's owners in force. Every bad line is reported at once; the
    rules on candidates (owners, seats, statements) are convene_vote's."""
    rows, errors = [], []
    parsed = []
    for n, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split(maxsplit=3)
        if not parts:
            continue
        if len(parts) < 3:
            errors.append(ValidationError(CANDIDATE_LINE, params={"n": n, "line": raw.strip()[:40]}))
            continue
        building, room, name = parts[:3]
        parsed.append((n, building, room, name, parts[3].strip() if len(parts) == 4 else ""))
    owners_of: dict[tuple[str, str], dict[str, Owner]] = {}
    for ownership in (
        Ownership.objects.in_force()
        .filter(unit__building__estate=estate, unit__room__in={p[2] for p in parsed})
        .select_related("owner", "unit__building")
    ):
        key = (ownership.unit.building.name, ownership.unit.room)
        owners_of.setdefault(key, {})[ownership.owner.name] = ownership.owner
    units = set(
        Unit.objects.filter(building__estate=estate, room__in={p[2] for p in parsed}).values_list(
            "building__name", "room"
        )
    )
    for n, building, room, name, statement in parsed:
        if (building, room) not in units:
            errors.append(ValidationError(CANDIDATE_UNKNOWN_UNIT, params={"n": n, "building": building, "room": room}))
            continue
        owner = owners_of.get((building, room), {}).get(name)
        if owner is None:
            errors.append(
                ValidationError(
                    CANDIDATE_NOT_OF_UNIT, params={"n": n, "building": building, "room": room, "name": name}
                )
            )
            continue
        rows.append((owner, statement))
    if errors:
        raise ValidationError(errors)
    return rows


def _at(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y年%m月%d日 %H:%M}"


def _window(vote: Vote) -> str:
    return f"{_at(vote.opens_at)} 至 {_at(vote.closes_at)}"


HOW_TO_VOTE = (
    "在线表决：用手机打开本消息的链接（或登录本系统，进入“我的表决”），选择同意、反对或弃权后提交；"
    "也可向业主委员会提交书面表决票。共有人通过一名代表表决，每份表决权只计一次。"
)


HOW_TO_ELECT = (
    "在线投票：用手机打开本消息的链接（或登录本系统，进入“我的表决”），勾选支持的候选人（不超过应选名额）后提交，"
    "也可以弃权；也可向业主委员会提交书面选票。共有人通过一名代表投票，每份表决权只计一次。"
)


def _tell_convened(vote: Vote, scope: str, candidates=()) -> None:
    """Every owner with a say in the vote, as the scope stands at convening, is told of it."""
    notify(
        event=Event.VOTE_CONVENED,
        recipients=eligible_owners(vote),
        title=f"{vote.estate.name}业主大会表决：{vote.question}",
        body=(
            f"表决事项：{Matter(vote.matter).label}（民法典第二百七十八条第{vote.matter}项）。\n"
            f"表决内容：{vote.question}\n表决范围：{scope}。\n表决时间：{_window(vote)}。\n"
            f"{_candidate_lines(vote, candidates)}{HOW_TO_ELECT if vote.is_election else HOW_TO_VOTE}"
        ),
        link=reverse("committees:ballot", args=[vote.pk]),
        subject=vote,
    )


def remind_closing(*, now: datetime | None = None) -> int:
    """Remind, once per vote, the owners who have not voted in a vote closing within three days
    (selectors.closing_votes). Each vote in its own transaction. Returns how many votes were told."""
    told = 0
    for vote in closing_votes(now):
        key = f"vote_closing:{vote.pk}"
        if Message.objects.filter(key=key).exists():
            continue
        with transaction.atomic():
            try:
                waiting = owners_yet_to_vote(vote)
            except ValidationError:  # a delivered unit in scope has no owner: its page says which
                continue
            if not waiting:
                continue
            notify(
                event=Event.VOTE_CLOSING,
                recipients=waiting,
                title=f"表决即将截止：{vote.question}",
                body=(
                    f"{vote.estate.name}业主大会表决“{vote.question}”将于 "
                    f"{_at(vote.closes_at)} 截止，您持有的表决权尚未表决。\n"
                    f"{HOW_TO_VOTE}"
                ),
                link=reverse("committees:ballot", args=[vote.pk]),
                subject=vote,
                key=key,
            )
            told += 1
    return told


def _require_open(vote: Vote, now: datetime) -> None:
    if vote.status != VoteStatus.OPEN or not vote.opens_at <= now < vote.closes_at:
        raise ValidationError(NOT_OPEN)


def _ballot_content(vote: Vote, choice: str, candidates, known=None) -> tuple[str, list[int]]:
    """What a ballot records: (choice, supported candidate ids). A yes/no vote takes a choice and
    no candidates; an election takes up to ``vote.seats`` of its own candidates ("yes"), or none
    with the choice "abstain". ``known`` is the election's candidate ids when already read."""
    picked = list(candidates or ())
    if not vote.is_election:
        if picked:
            raise ValidationError(NOT_AN_ELECTION_BALLOT)
        if choice not in (YES, NO, ABSTAIN):
            raise ValidationError(BAD_CHOICE)
        return choice, []
    if not picked:
        if choice != ABSTAIN:
            raise ValidationError(PICK_OR_ABSTAIN)
        return ABSTAIN, []
    try:
        picked = [int(pk) for pk in picked]
    except (TypeError, ValueError):
        raise ValidationError(UNKNOWN_CANDIDATE) from None
    if len(set(picked)) != len(picked):
        raise ValidationError(PICKED_TWICE)
    if len(picked) > vote.seats:
        raise ValidationError(TOO_MANY_PICKS, params={"seats": vote.seats, "n": len(picked)})
    if known is None:
        known = set(Candidate.objects.filter(vote=vote).values_list("pk", flat=True))
    if not set(picked) <= known:
        raise ValidationError(UNKNOWN_CANDIDATE)
    return YES, sorted(picked)


@transaction.atomic
def cast_ballot(
    *,
    voter: Owner | None,
    vote: Vote,
    holder: str,
    choice: str,
    candidates=None,
    proxy=None,
    agent=None,
    now: datetime | None = None,
) -> Ballot:
    """An owner votes online for a holding they hold, or an agent for a holding of the owner
    whose ``proxy`` they hold (``voter`` is then the agent's own owner record, or None for a
    household member; ``agent`` is the acting account, ``voter.user`` when not given, and must
    be the proxy's agent; the view finds the proxy among the signed-in account's own). The
    ballot is the owner's either way (``cast_by``), with the proxy it came by. In an election
    ``candidates`` are the ids of the candidates supported (see _ballot_content). A ballot a
    member of staff entered on the owner's behalf may be corrected once, by the owner only;
    any other second ballot is refused, even when two arrive at once (the database's unique
    constraint decides)."""
    now = now or timezone.now()
    choice, picked = _ballot_content(vote, choice, candidates)
    _require_open(vote, now)
    if proxy is not None:
        if agent is None and voter is not None:
            agent = voter.user
        proxy = proxies.usable(proxy=proxy, vote=vote, agent=agent, today=timezone.localdate(now))
        owner = proxy.principal
    elif voter is None:
        raise PermissionDenied(NOT_A_HOLDER)
    else:
        owner = voter
    if holder not in holdings_of(owner, vote):
        raise PermissionDenied(NOT_A_HOLDER)
    try:
        with transaction.atomic():
            return Ballot.objects.create(
                vote=vote, holder=holder, choice=choice, candidates=picked, cast_by=owner, cast_at=now, proxy=proxy
            )
    except IntegrityError:
        existing = lock_one(Ballot, vote=vote, holder=holder)
        # Only the owner corrects the paper ballot staff entered for them, never their agent.
        if proxy is not None or existing.entered_by_id is None or existing.cast_by_id is not None:
            raise ValidationError(ALREADY_VOTED) from None
        existing.choice, existing.candidates, existing.cast_by = choice, picked, owner
        existing.cast_at, existing.proxy = now, proxy
        existing.save(update_fields=["choice", "candidates", "cast_by", "cast_at", "proxy"])
        return existing


@transaction.atomic
def enter_paper_ballot(
    *, actor, vote: Vote, holder: str, choice: str, candidates=None, now: datetime | None = None
) -> Ballot:
    """Staff (or a committee member) enter a paper ballot; who entered it is recorded."""
    now = now or timezone.now()
    if not access.can(actor, access.CONVENE_VOTES, vote.estate):
        raise PermissionDenied(NOT_ALLOWED)
    choice, picked = _ballot_content(vote, choice, candidates)
    _require_open(vote, now)
    if holder not in holder_keys(vote):
        raise ValidationError(NOT_A_HOLDER)
    try:
        with transaction.atomic():
            return Ballot.objects.create(
                vote=vote, holder=holder, choice=choice, candidates=picked, entered_by=actor, cast_at=now
            )
    except IntegrityError:
        raise ValidationError(ALREADY_VOTED) from None


@transaction.atomic
def enter_paper_ballots(*, actor, vote: Vote, ballots: dict, now: datetime | None = None) -> int:
    """A batch of paper ballots, all or nothing: one bad or duplicate line refuses the batch.
    ``ballots`` is {holder: choice}, or for an election {holder: the candidate ids supported}
    (an empty list for a ballot that abstains)."""
    now = now or timezone.now()
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, vote.estate):
        raise PermissionDenied(NOT_ALLOWED)
    _require_open(vote, now)
    in_scope = holder_keys(vote)
    if vote.is_election:
        known = set(Candidate.objects.filter(vote=vote).values_list("pk", flat=True))
        content = {h: _ballot_content(vote, YES if picked else ABSTAIN, picked, known) for h, picked in ballots.items()}
    else:
        content = {h: _ballot_content(vote, c, None) for h, c in ballots.items()}
    if not set(ballots) <= in_scope:
        raise ValidationError(NOT_A_HOLDER)
    if Ballot.objects.filter(vote=vote, holder__in=list(ballots)).exists():
        raise ValidationError(ALREADY_VOTED)
    try:
        with transaction.atomic():  # a ballot cast since the check above refuses the whole batch
            Ballot.objects.bulk_create(
                [
                    Ballot(vote=vote, holder=h, choice=c, candidates=picked, entered_by=actor, cast_at=now)
                    for h, (c, picked) in content.items()
                ],
                batch_size=1000,
            )
    except IntegrityError:
        raise ValidationError(ALREADY_VOTED) from None
    return len(ballots)


def read_unit_lines(
    estate, text: str, *, with_choice: bool, positions: dict[int, int] | None = None, seats: int | None = None
) -> list[tuple[int, int, str, str, str | None]]:
    """Parse lines of "楼栋 房号[ 意见]" typed from paper into (line number, unit pk, building,
    room, choice). Every bad line is reported at once, so a batch is fixed in one pass.
    For an election (``positions``: {position printed on the ballot: candidate id}) a line is
    "楼栋 房号 编号[,编号…]" or "楼栋 房号 弃权", and its choice is the tuple of candidate ids
    supported (empty for an abstention), at most ``seats`` of them."""
    index = {
        (b, r): pk
        for pk, b, r in Unit.objects.filter(building__estate=estate).values_list("pk", "building__name", "room")
    }
    rows, errors = [], []
    tail = " 意见" if with_choice else ""
    for n, raw in enumerate(text.splitlines(), start=1):
        parts = raw.replace("，", " ").replace(",", " ").replace("、", " ").split()
        if not parts:
            continue
        choice = None
        if positions is not None:
            choice, problem = _read_positions(n, raw, parts[2:], positions, seats)
            if problem is not None:
                errors.append(problem)
                continue
            parts = parts[:2]
        elif with_choice:
            choice = CHOICE_WORDS.get(parts[-1].lower()) if len(parts) == 3 else None
            parts = parts[:2]
        if len(parts) != 2 or (with_choice and choice is None):
            errors.append(ValidationError(BAD_LINE, params={"n": n, "line": raw.strip()[:40], "tail": tail}))
            continue
        building, room = parts
        pk = index.get((building, room))
        if pk is None:
            errors.append(ValidationError(UNKNOWN_UNIT, params={"n": n, "building": building, "room": room}))
            continue
        rows.append((n, pk, building, room, choice))
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(NO_LINES)
    return rows


def _read_positions(n: int, raw: str, words: list[str], positions: dict[int, int], seats: int):
    """One election line's candidate numbers: (candidate ids, None), or (None, the error)."""
    if len(words) == 1 and words[0].lower() in ABSTAIN_WORDS:
        return (), None
    if not words or not all(w.isascii() and w.isdigit() for w in words):
        return None, ValidationError(BAD_ELECTION_LINE, params={"n": n, "line": raw.strip()[:40]})
    numbers = [int(w) for w in words]
    unknown = [str(p) for p in numbers if p not in positions]
    if unknown:
        return None, ValidationError(UNKNOWN_POSITION, params={"n": n, "positions": "、".join(unknown)})
    if len(set(numbers)) != len(numbers):
        return None, ValidationError(POSITION_TWICE, params={"n": n})
    if len(numbers) > seats:
        return None, ValidationError(TOO_MANY_ON_LINE, params={"n": n, "count": len(numbers), "seats": seats})
    return tuple(sorted(positions[p] for p in numbers)), None


def enter_paper_lines(*, actor, vote: Vote, text: str, now: datetime | None = None) -> int:
    """Staff type in a stack of paper ballots by unit; each unit's holder gets one ballot.
    Two lines for one holder must agree. All or nothing (enter_paper_ballots decides). An
    election's lines carry the candidates' numbers as printed on the ballot (read_unit_lines)."""
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, vote.estate):
        raise PermissionDenied(NOT_ALLOWED)
    rules = rules_for(vote.estate)
    holder_of_unit = {
        u.key: holder_key(holder_of(u, co_ownership_separate_head=rules.co_ownership_separate_head))
        for u in scope_of(vote)
    }
    positions = {c.position: c.pk for c in candidates_of(vote)} if vote.is_election else None
    ballots: dict[str, tuple] = {}
    errors = []
    for n, pk, building, room, choice in read_unit_lines(
        vote.estate, text, with_choice=True, positions=positions, seats=vote.seats
    ):
        if pk not in holder_of_unit:
            errors.append(ValidationError(OUT_OF_SCOPE, params={"n": n, "building": building, "room": room}))
            continue
        key = holder_of_unit[pk]
        if key in ballots and ballots[key][0] != choice:
            errors.append(
                ValidationError(CONFLICT, params={"n": n, "building": building, "room": room, "first": ballots[key][1]})
            )
            continue
        ballots.setdefault(key, (choice, n))
    if errors:
        raise ValidationError(errors)
    if vote.is_election:
        chosen = {k: list(c) for k, (c, _n) in ballots.items()}
    else:
        chosen = {k: c for k, (c, _n) in ballots.items()}
    return enter_paper_ballots(actor=actor, vote=vote, ballots=chosen, now=now)


def figures(result: TallyResult) -> dict:
    """The tally as frozen JSON: exact shares as fractions, areas as decimal strings.

    The outcome is ``decided`` (quorum and approval both met). The approval shares are kept
    exact, but no flag of approval alone is stored: read without the quorum it could tell a
    reader of the data that a vote which missed its quorum was approved."""
    return {
        "eligible": {"area": str(result.eligible.area), "heads": result.eligible.heads},
        "participating": {"area": str(result.participating.area), "heads": result.participating.heads},
        "by_choice": {c: {"area": str(n.area), "heads": n.heads} for c, n in result.by_choice.items()},
        "quorum_area": share_text(result.quorum_area),
        "quorum_heads": share_text(result.quorum_heads),
        "quorum_met": result.quorum_met,
        "approval_area": share_text(result.approval_area),
        "approval_heads": share_text(result.approval_heads),
        "decided": result.decided,
    }


@transaction.atomic
def close_vote(*, actor, vote: Vote, now: datetime | None = None) -> Vote:
    """Freeze the result with the tally's full figures and draft a result notice without personal data.
    An election also freezes each candidate's count and who took a seat (``result["election"]``,
    see _freeze_election); it is decided only when it forms a committee the rule set allows."""
    now = now or timezone.now()
    vote = lock_one(Vote.objects.select_related("estate"), pk=vote.pk)
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, vote.estate):
        raise PermissionDenied(NOT_ALLOWED)
    if vote.status == VoteStatus.CLOSED:
        raise ValidationError(ALREADY_CLOSED)
    if now < vote.closes_at:
        raise ValidationError(TOO_EARLY_TO_CLOSE)
    result = count(vote)
    vote.result = figures(result)
    vote.result["by_proxy"] = by_proxy(vote)  # the ballots that came by proxy (委托), as counted
    vote.result["service"] = service_record(vote)  # how notice was served, counts only (送达)
    vote.status, vote.closed_at, vote.closed_by = VoteStatus.CLOSED, now, actor
    outcome = "通过" if result.decided else ("未达到参与表决的法定比例" if not result.quorum_met else "未获通过")
    yes, no, abstain = (result.by_choice[c] for c in (YES, NO, ABSTAIN))
    choices = (
        f"同意：面积 {yes.area} 平方米，{yes.heads} 人；反对：面积 {no.area} 平方米，{no.heads} 人；"
        f"弃权：面积 {abstain.area} 平方米，{abstain.heads} 人。\n"
    )
    if vote.is_election:
        election = _freeze_election(vote, timezone.localdate(now))
        vote.result["election"] = election
        vote.result["decided"] = result.quorum_met and not election["reason"]
        # A yes/no share means nothing here: each candidate has their own (result["election"]).
        # Kept are the ballots that chose candidates ("yes") and those that chose none ("abstain").
        for key in ("approval_area", "approval_heads"):
            vote.result.pop(key, None)
        vote.result["by_choice"].pop(NO, None)
        outcome = (
            f"选出业主委员会委员 {election['filled']} 名" if vote.result["decided"] else f"未选出：{election['reason']}"
        )
        choices = _election_lines(election)
    vote.result_notice = cms.draft_notice(
        estate=vote.estate,
        category="votes",
        title=f"{vote.estate.name}业主大会表决结果公告：{vote.question}",
        body=(
            f"表决事项：{Matter(vote.matter).label}。表决内容：{vote.question}\n"
            f"表决范围内专有部分面积 {result.eligible.area} 平方米，业主 {result.eligible.heads} 人。\n"
            f"参与表决：面积 {result.participating.area} 平方米，{result.participating.heads} 人。\n"
            f"{choices}"
            f"表决结果：{outcome}。"
        ),
        publicity_days=rules_for(vote.estate).decision_publicity_days,
        source=f"committees.Vote:{vote.pk}:result",
    )
    vote.save(update_fields=["result", "status", "closed_at", "closed_by", "result_notice"])
    audit.record("vote_close", user=actor, obj=vote, detail={"outcome": outcome, "decided": vote.result["decided"]})
    notify(
        event=Event.VOTE_RESULT,
        recipients=eligible_owners(vote),
        title=f"表决结果：{vote.question}（{outcome}）",
        body=(
            f"{vote.estate.name}业主大会表决“{vote.question}”已于 {_at(now)} 结束计票。\n"
            f"参与表决：面积 {result.participating.area} / {result.eligible.area} 平方米，"
            f"{result.participating.heads} / {result.eligible.heads} 人。\n"
            f"{choices}"
            f"表决结果：{outcome}。结果公告经审核后在小区公告栏公示。"
        ),
        link=reverse("committees:my_votes"),
        subject=vote,
    )
    return vote


def _freeze_election(vote: Vote, on) -> dict:
    """Draw the lot once (secrets), count the election with it and say why no committee could
    be formed from it, if so: the quorum missed, fewer elected than the rule set's smallest
    committee, an even or too large number, or an elected candidate no longer an owner on ``on``.
    The lot is frozen with the figures, so a recount gives the same seats."""
    candidates = candidates_of(vote)
    lot = [c.pk for c in candidates]
    secrets.SystemRandom().shuffle(lot)
    counted = election_count(vote, candidates=candidates, lot=lot)
    frozen = election_figures(vote, counted, candidates)
    rules, n = rules_for(vote.estate), counted.filled
    reason = ""
    if not counted.quorum_met:
        reason = str(NO_QUORUM_REASON)
    elif frozen["short"]:
        reason = str(SHORT_REASON % {"n": n, "min": rules.committee_min_members})
    elif n > rules.committee_max_members:
        reason = str(TOO_MANY_REASON % {"n": n, "max": rules.committee_max_members})
    elif rules.committee_members_odd and n % 2 == 0:
        reason = str(EVEN_REASON % {"n": n})
    else:
        owner_of = {c["id"]: (c["owner"], c["name"]) for c in frozen["candidates"]}
        holding = set(
            Ownership.objects.in_force(on)
            .filter(unit__building__estate=vote.estate, owner__in=[owner_of[pk][0] for pk in counted.elected])
            .values_list("owner_id", flat=True)
        )
        gone = [mask_name(owner_of[pk][1]) for pk in counted.elected if owner_of[pk][0] not in holding]
        if gone:
            reason = str(GONE_REASON % {"names": "、".join(gone)})
    frozen["reason"] = reason
    return frozen


def _election_lines(election: dict) -> str:
    """Each candidate's count and the elected, names masked, for the result notice and message."""

    def verdict(c) -> str:
        return "当选" if c["elected"] else ("过半数未当选" if c["passed"] else "未过半数")

    lines = [
        f"{c['position']}号 {mask_name(c['name'])}：面积 {c['area']} 平方米（{c['area_share']}），"
        f"{c['heads']} 人（{c['heads_share']}）；{verdict(c)}"
        for c in election["candidates"]
    ]
    by_id = {c["id"]: c for c in election["candidates"]}
    elected = "、".join(f"{by_id[pk]['position']}号 {mask_name(by_id[pk]['name'])}" for pk in election["elected"])
    return (
        f"应选 {election['seats']} 名，候选人 {len(lines)} 人：\n"
        + "\n".join(lines)
        + f"\n当选（{election['filled']} 名）：{elected or '无'}。\n"
    )


# --------------------------------------------------------------------------- contracts and the votes behind them
# Hiring or dismissing the property company is matter 4 of Civil Code art. 278 (RULES.md §1):
# a contract is linked only to a closed vote of its own estate on that matter which passed.
# Whoever keeps the estate's registry (change_registry) records the link, as they record the
# contract itself.


@transaction.atomic
def link_contract_to_vote(
    *, actor, contract: ServiceContract, vote: Vote, kind: str = ContractDecisionKind.HIRE
) -> ContractDecision:
    access.require(actor, access.CHANGE, contract.estate)
    if kind not in ContractDecisionKind.values:
        raise ValidationError(BAD_KIND)
    vote = lock_one(Vote, pk=vote.pk)
    if vote.estate_id != contract.estate_id:
        raise ValidationError(VOTE_OTHER_ESTATE)
    if vote.matter != Matter.MANAGER:
        raise ValidationError(VOTE_OTHER_MATTER)
    if vote.status != VoteStatus.CLOSED:
        raise ValidationError(VOTE_NOT_CLOSED)
    if not (vote.result or {}).get("decided"):
        raise ValidationError(VOTE_NOT_PASSED)
    if kind == ContractDecisionKind.DISMISS and contract.terminated_on is None:
        raise ValidationError(DISMISS_NOT_ENDED)
    label = ContractDecisionKind(kind).label
    existing = ContractDecision.objects.filter(contract=contract, kind=kind).select_related("vote").first()
    if existing is not None:
        raise ValidationError(ALREADY_LINKED, params={"kind": label, "vote": existing.vote})
    used = ContractDecision.objects.filter(vote=vote, kind=kind).select_related("contract__company").first()
    if used is not None:
        raise ValidationError(VOTE_ALREADY_USED, params={"kind": label, "contract": used.contract})
    try:
        with transaction.atomic():
            return ContractDecision.objects.create(contract=contract, vote=vote, kind=kind, linked_by=actor)
    except IntegrityError:  # the same link recorded a moment ago by someone else
        raise ValidationError(ALREADY_LINKED, params={"kind": label, "vote": vote}) from None


# --------------------------------------------------------------------------- service of notice on paper (送达)
# Owners no channel reached are served on paper by the vote's conveners (posting the notice at
# the door, with a photo, or handing it over), and the service is recorded with the vote.


def _names(owners) -> str:
    return "、".join(mask_name(o.name) for o in owners)


@transaction.atomic
def record_service(
    *,
    actor,
    vote: Vote,
    owners,
    method: str,
    photo=None,
    note: str = "",
    served_on=None,
    now: datetime | None = None,
) -> list[VoteService]:
    """Record one paper service (one posting, one visit) for several owners at once, all or
    nothing. Posting needs a photo of the posted notice; the owners must have a say in the vote
    and not be recorded already."""
    if actor is None or not access.can(actor, access.CONVENE_VOTES, vote.estate):
        raise PermissionDenied(NOT_ALLOWED)
    now = now or timezone.now()
    owners = sorted({o.pk: o for o in owners}.values(), key=lambda o: o.pk)
    if not owners:
        raise ValidationError(NO_OWNERS)
    if method not in ServiceMethod.values:
        raise ValidationError(BAD_METHOD)
    if method == ServiceMethod.POSTING and not photo:
        raise ValidationError(POSTING_NEEDS_PHOTO)
    if photo:
        uploads.check(photo, uploads.PHOTO)
    served_on = served_on or timezone.localdate(now)
    if served_on > timezone.localdate(now):
        raise ValidationError(SERVED_IN_FUTURE)
    convened_on = timezone.localdate(vote.convened_at)
    if served_on < convened_on:
        raise ValidationError(SERVED_BEFORE_CONVENING, params={"day": f"{convened_on:%Y-%m-%d}"})
    vote = lock_one(Vote.objects.select_related("estate"), pk=vote.pk)  # one recorder at a time per vote
    eligible = {o.pk for o in eligible_owners(vote)}
    outside = [o for o in owners if o.pk not in eligible]
    if outside:
        raise ValidationError(OWNER_OUT_OF_SCOPE, params={"names": _names(outside)})
    done = set(VoteService.objects.filter(vote=vote, owner__in=owners).values_list("owner_id", flat=True))
    if done:
        raise ValidationError(ALREADY_SERVED, params={"names": _names(o for o in owners if o.pk in done)})
    rows = [
        VoteService(
            vote=vote,
            owner=o,
            method=method,
            note=(note or "").strip()[:300],
            served_on=served_on,
            recorded_by=actor,
            created_at=now,
        )
        for o in owners
    ]
    if photo:
        # The photo is stored once (written last, when all else is known good) and shared by the rows.
        uploads.store(rows[0].photo, photo, uploads.PHOTO)  # under a random name
        for row in rows[1:]:
            row.photo.name = rows[0].photo.name
    VoteService.objects.bulk_create(rows)
    return rows
