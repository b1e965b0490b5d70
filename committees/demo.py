"""The app's demo (seed_demo imports committees.demo and calls build): the exams and votes
parts from their packages, then the seed's 21 committees (some self-managed) at every
stage: filed, in review, returned, just elected, overdue for filing, and with a term
about to end. 水榭新城's committee comes from an election among seven candidates for five
seats, with one owner voting through a proxy.

Everything goes through the services at the dates it would have happened, so
the filed ones passed the exam and the training their district requires.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from community import access
from community import services as registry
from community.demo import PILOT_ESTATES
from community.models import Estate, Owner, Role, SelfManagementPeriod
from residents import demo as residents_demo

from . import services as life
from . import steward
from .exams import demo as exams_demo
from .exams import services as exams
from .models import Ballot, BranchRole, Committee, CommitteeKind, PartyBranch
from .votes import demo as votes_demo
from .votes import proxies
from .votes import selectors as vote_selectors
from .votes import services as votes

COMMITTEES = 21
ELECTION_ESTATE = "水榭新城"  # its committee comes from an election among candidates
STATEMENTS = [
    "退休工程师，熟悉电梯和消防设施，愿意为小区设施维护出力。",
    "从事财务工作十五年，可协助公开物业费收支和维修资金账目。",
    "社区志愿者，常年组织楼栋活动，了解邻里诉求。",
    "律师，可在合同审查和纠纷调解中提供专业意见。",
    "小学教师，关注儿童活动场地和小区环境。",
    "个体经营者，时间灵活，愿意参与日常巡查。",
    "退役军人，熟悉安全管理，愿意协助秩序维护。",
]
STAGES = ["filed", "changed", "filing", "returned", "elected", "overdue", "expiring"]
BLUEPRINT = {"votes": 3, "committee": 3, "fund": 2, "privacy": 2}


def _at(day, hour=10):
    return datetime.combine(day, time(hour, 0), timezone.get_current_timezone())


def _people_without_accounts(estate):
    """The estate's owners who are people holding a unit and have no account yet, by record: the
    demo's committee members and candidates (the demo logins keep their own roles)."""
    return (
        Owner.objects.filter(
            kind="person",
            user__isnull=True,
            ownerships__unit__building__estate=estate,
            ownerships__ended_on__isnull=True,
        )
        .order_by("pk")
        .distinct()
    )


def _elect(estate, elected_on, kind, *, members=None, post=True):
    vote = votes.convene_vote(
        actor=None,
        estate=estate,
        matter=3,
        question=f"选举{estate.name}第一届{'业主自管会' if kind == 'self' else '业主委员会'}",
        opens_at=_at(elected_on - timedelta(days=10)),
        closes_at=_at(elected_on - timedelta(days=1)),
        now=_at(elected_on - timedelta(days=30)),
    )
    holders = sorted(vote_selectors.holder_keys(vote))
    voting = holders[: len(holders) * 4 // 5]
    votes.enter_paper_ballots(
        actor=None,
        vote=vote,
        now=_at(elected_on - timedelta(days=5)),
        ballots={h: ("yes" if i % 7 else "no") for i, h in enumerate(voting)},
    )
    votes.close_vote(actor=None, vote=vote, now=_at(elected_on))
    if post:
        votes_demo.post_result(vote)
    vote.refresh_from_db()
    if members is None:
        members = list(_people_without_accounts(estate)[:5])
    return life.elect_committee(actor=None, estate=estate, vote=vote, elected_on=elected_on, members=members, kind=kind)


def _prepare_filing(committee, members, *, examined=None, submit=True):
    """Training, the exam (for ``examined``, everyone by default), the first meeting and the
    paperwork; then, unless ``submit`` is False, the filing itself."""
    examined = members if examined is None else examined
    day = committee.elected_on
    exams.record_training(
        actor=None,
        community=committee.estate.grid.community,
        topic=f"{committee.estate.name}委员备案前培训",
        held_on=day + timedelta(days=2),
        trainer="社区两委",
        place="社区党群服务中心",
        attendees=members,
    )
    sitting = exams.schedule_session(
        actor=None,
        community=committee.estate.grid.community,
        title=f"{committee.estate.name}委员备案前考试",
        opens_at=_at(day + timedelta(days=3), 9),
        closes_at=_at(day + timedelta(days=6), 17),
        blueprint=BLUEPRINT,
        candidates=examined,
    )
    key = exams_demo.correct_options()
    for member in examined:
        attempt = exams.start_attempt(candidate=member, session=sitting, now=_at(day + timedelta(days=3), 9))
        for item in attempt.paper:
            correct = key.get(item["q"], [])
            exams.save_answer(
                attempt=attempt, question_id=item["q"], chosen=correct, now=_at(day + timedelta(days=3), 9)
            )
        exams.submit_attempt(attempt=attempt, now=_at(day + timedelta(days=3), 9) + timedelta(minutes=20))
    life.record_first_meeting(
        actor=None, committee=committee, held_on=day + timedelta(days=4), chair=members[0], vice_chairs=[members[1]]
    )
    committee.covenant = committee.procedure_rules = True
    committee.save(update_fields=["covenant", "procedure_rules"])
    committee.members.update(undertaking_signed=True)
    if submit:
        life.submit_filing(actor=None, committee=committee, on=day + timedelta(days=10))


def _remove_a_member(committee, today):
    """Two of five members propose removing one who stopped attending; the owners agree, and
    the filed committee now has to re-file within 30 days of the change."""
    seats = list(committee.members.order_by("pk"))
    proposed_on = today - timedelta(days=40)
    motion = life.propose_motion(
        actor=None,
        committee=committee,
        kind="remove",
        member=seats[-1],
        on=proposed_on,
        reasons="连续六个月无故不参加委员会会议。",
        by_members=seats[:2],
    )
    opens = _at(today - timedelta(days=20))
    motion = life.put_motion_to_vote(
        actor=None, motion=motion, opens_at=opens, closes_at=_at(today - timedelta(days=10)), now=_at(proposed_on)
    )
    holders = sorted(vote_selectors.holder_keys(motion.vote))
    votes.enter_paper_ballots(
        actor=None,
        vote=motion.vote,
        now=opens + timedelta(days=1),
        ballots={h: ("yes" if i % 6 else "no") for i, h in enumerate(holders[: len(holders) * 3 // 4])},
    )
    votes.close_vote(actor=None, vote=motion.vote, now=_at(today - timedelta(days=10), 18))
    votes_demo.post_result(motion.vote)
    life.carry_motion(actor=None, motion=motion, on=today - timedelta(days=9))


def _election(estate, elected_on):
    """水榭新城 elects its committee among candidates: seven owners stand for five seats, about
    four in five holders return a paper ballot with candidate numbers, and one owner votes online
    through a proxy she appointed from her own account (another owner of the estate). Closing
    the count forms the committee of the five elected, and its filing clock starts that day."""
    owners = list(_people_without_accounts(estate)[:9])
    runners, principal, agent = owners[:7], owners[7], owners[8]
    residents_demo.bind_in_bulk([principal, agent])
    opens, closes = _at(elected_on - timedelta(days=10)), _at(elected_on - timedelta(days=1))
    vote = votes.convene_vote(
        actor=None,
        estate=estate,
        matter=3,
        question=f"选举{estate.name}第一届业主委员会（7 名候选人，应选 5 名）",
        opens_at=opens,
        closes_at=closes,
        now=_at(elected_on - timedelta(days=30)),
        seats=5,
        candidates=list(zip(runners, STATEMENTS, strict=True)),
    )
    ids = list(vote.candidates.order_by("position").values_list("pk", flat=True))
    proxy = proxies.appoint_proxy(
        actor=principal.user, principal=principal, agent=agent.user, vote=vote, now=_at(elected_on - timedelta(days=20))
    )
    by_proxy = vote_selectors.holdings_of(principal, vote)[0]
    holders = sorted(vote_selectors.holder_keys(vote) - {by_proxy, vote_selectors.DEVELOPER})
    votes.enter_paper_ballots(
        actor=None,
        vote=vote,
        now=opens + timedelta(days=2),
        ballots={
            h: (ids[:5] if i % 10 < 7 else [ids[0], ids[1], ids[5], ids[6]])
            for i, h in enumerate(holders[: len(holders) * 4 // 5])
        },
    )
    votes.cast_ballot(
        voter=agent,
        vote=vote,
        holder=by_proxy,
        choice="yes",
        candidates=ids[:5],
        proxy=proxy,
        now=opens + timedelta(days=1),
    )
    vote = life.close_election(actor=None, vote=vote, now=_at(elected_on))
    votes_demo.post_result(vote)
    return Committee.objects.get(pk=vote.result["election"]["committee"])


def _log_election(log):
    ballot = Ballot.objects.filter(vote__seats__isnull=False, proxy__isnull=False).select_related(
        "vote__estate", "proxy__principal__user", "proxy__agent"
    )
    ballot = ballot.first()
    if ballot is None:
        return
    result, proxy = ballot.vote.result["election"], ballot.proxy
    log(
        f"选举：{ballot.vote.estate.name} {len(result['candidates'])} 名候选人选出 {result['filled']} 名委员；"
        f"业主 {proxy.principal.user.username} 委托 {proxy.agent.username} 代为投票（密码 demo2021）"
    )


@transaction.atomic
def _one(estate, stage, today):
    kind = (
        CommitteeKind.SELF_MANAGEMENT
        if SelfManagementPeriod.objects.in_force(today).filter(estate=estate).exists()
        else CommitteeKind.OWNERS
    )
    elected_on = {
        "filed": today - timedelta(days=200),
        "changed": today - timedelta(days=220),
        "filing": today - timedelta(days=20),
        "returned": today - timedelta(days=26),
        "elected": today - timedelta(days=3),
        "overdue": today - timedelta(days=45),
        "expiring": today.replace(year=today.year - 5) + timedelta(days=20),
    }[stage]
    if estate.name == ELECTION_ESTATE and kind == CommitteeKind.OWNERS:
        committee = _election(estate, elected_on)
    else:
        committee = _elect(estate, elected_on, kind)
    members = [m.owner for m in committee.members.select_related("owner").order_by("pk")]
    if stage in ("filed", "changed", "filing", "returned", "expiring"):
        _prepare_filing(committee, members)
        district, street = _reviewers(estate)
        if stage in ("filed", "changed", "expiring", "filing"):
            life.review_filing(actor=street, committee=committee, accept=True)
        if stage in ("filed", "changed", "expiring"):
            life.review_filing(actor=district, committee=committee, accept=True)
        if stage == "changed":
            _remove_a_member(committee, today)
        elif stage == "returned":
            life.review_filing(
                actor=district,
                committee=committee,
                accept=False,
                reasons="管理规约未载明专项维修资金的使用程序，请补正后重新备案。",
            )


def _reviewers(estate):
    """The two reviewers of an estate's filings: an administrator of its district (the demo's
    `district` login) and staff of its street (the `street` login for 江滨豪园's street; for the
    other streets an account of their own, without a password, since they are no demo login)."""
    found = []
    for role, scope in ((Role.DISTRICT_ADMIN, estate.district), (Role.STREET_STAFF, estate.street)):
        user = access.users_with_role(role, scope).order_by("pk").first()
        if user is None:
            user, created = get_user_model().objects.get_or_create(
                username=f"{role}-{scope.code}".lower(), defaults={"first_name": f"{scope.name} 审查人"}
            )
            if created:
                user.set_unusable_password()
                user.save()
            registry.assign_role(actor=None, user=user, role=role, scope=scope)
        found.append(user)
    return found


@transaction.atomic
def _jiangbin(today):
    """江滨豪园, the `committee` login's estate: elected three days ago, with the `candidate`
    login among its five members. Everything is ready except the candidate's exam
    certificate, so filing is refused until the candidate passes the open online sitting.
    Its party branch is led by the committee's chair (the cross-appointment flag)."""
    estate = Estate.objects.get(code="E0001")
    elected_on = today - timedelta(days=3)
    candidate = Owner.objects.get(user__username="candidate")
    others = list(_people_without_accounts(estate).exclude(pk=candidate.pk)[:4])
    # Its result notice is left for the committee to post: the one overdue item on its duty list.
    committee = _elect(estate, elected_on, CommitteeKind.OWNERS, members=others + [candidate], post=False)
    _prepare_filing(committee, others + [candidate], examined=others, submit=False)
    branch = PartyBranch.objects.get(estate=estate)
    steward.add_member(actor=None, branch=branch, name=others[0].name, owner=others[0], role=BranchRole.SECRETARY)
    steward.add_member(actor=None, branch=branch, name=others[2].name, owner=others[2])
    steward.add_member(actor=None, branch=branch, name="社区党委选派 周建国", role=BranchRole.DEPUTY)


def build(*, today, progress=None, log=print):
    """The app's part of seed_demo, in the order the data depends on: the exams (whose open
    sitting makes the `candidate` login), the votes, then the committees; the exams' closing
    line comes last, once the committees' own sittings are counted. Returns the demo logins."""
    progress = progress or (lambda iterable, **kw: iterable)
    logins = exams_demo.build(today=today, progress=progress, log=log)
    votes_demo.build(today=today, log=log)
    _committees(today=today, progress=progress, log=log)
    exams_demo.report(log)
    return logins


def _committees(*, today, progress, log):
    if Committee.objects.exists():
        return
    self_managed = list(SelfManagementPeriod.objects.in_force(today).values_list("estate", flat=True))
    chosen = list(Estate.objects.filter(name__in=PILOT_ESTATES).exclude(code="E0001").order_by("code"))
    chosen += list(Estate.objects.filter(pk__in=self_managed).order_by("code"))
    chosen += list(Estate.objects.exclude(pk__in=[e.pk for e in chosen]).exclude(code="E0001").order_by("code"))
    chosen = chosen[:COMMITTEES]
    for n, estate in enumerate(progress(chosen, desc="业委会", unit="个")):
        _one(estate, STAGES[n % len(STAGES)], today)
    _jiangbin(today)
    _log_election(log)
    log(
        f"业委会：{Committee.objects.count()} 个（自管会 {Committee.objects.filter(kind='self').count()} 个），"
        f"已备案 {Committee.objects.filter(status='filed').count()} 个"
    )
