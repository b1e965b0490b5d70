"""The demo's votes in 江滨豪园: closed votes on several matters with every kind of outcome,
an open one, and the renewal contract linked to the vote that passed it. Everything goes
through committees.votes.services at the times it would have happened."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cms import services as cms
from community.legaltime import last_day_after_months
from community.models import Estate, Owner, ServiceContract
from community.tenure import services as registry
from notifications import services as notifications
from notifications.models import Channel, Delivery, DeliveryStatus, Event
from notifications.services import after_quiet, quiet

from .. import selectors as committee_selectors
from .. import steward
from ..models import PartyBranch, Vote
from . import selectors
from . import services as votes


def post_result(vote) -> None:
    """The committee publishes a closed vote's drafted result notice (its posting day is the day
    it goes live: the duty to post within the rule set's days is then done)."""
    vote.refresh_from_db()
    if vote.result_notice is not None and not vote.result_notice.live:
        cms.publish_notice(actor=None, notice=vote.result_notice)


def _ballots(vote, rng, *, turnout: float, yes: float, at):
    holders = sorted(selectors.holder_keys(vote))
    voters = holders[: int(len(holders) * turnout)]
    owners = Owner.objects.in_bulk([int(h.split(",")[0]) for h in voters if h != "developer"])  # read once
    for n, holder in enumerate(voters):
        owner = None if holder == "developer" else owners[int(holder.split(",")[0])]
        choice = "yes" if n < int(len(voters) * yes) else rng.choice(["no", "no", "abstain"])
        if owner is None or owner.user_id:
            continue  # the developer stays away; demo logins keep their own vote
        votes.cast_ballot(voter=owner, vote=vote, holder=holder, choice=choice, now=at)


def _convene(estate, matter, question, opens, days, buildings=()):
    """Convene as the committee would: a major matter goes to the party branch first."""
    review = None
    if committee_selectors.needs_review(estate, matter):
        review = steward.record_review(
            actor=None,
            branch=estate.party_branch,
            matter=matter,
            question=question,
            reviewed_on=timezone.localdate(opens) - timedelta(days=20),
            opinion="经支部委员会讨论，同意提交业主大会表决，并请委员会做好解释工作。",
        )
    return votes.convene_vote(
        actor=None,
        estate=estate,
        matter=matter,
        question=question,
        opens_at=opens,
        closes_at=opens + timedelta(days=days),
        buildings=buildings,
        now=opens - timedelta(days=16),
        branch_review=review,
    )


def build(*, today, progress=None, log=print):
    if _build(today=today, log=log):
        _deliver(log)
    return []


DEMO_RETRIES = timedelta(minutes=20)  # long enough for all five attempts (1 + 2 + 4 + 8 minutes apart)


def _deliver(log):
    """After the votes' transaction committed (its texts went out inline), retry the refused
    texts as the worker would, until they are recorded as failed; owners with an account read
    the older votes' messages (the open vote's stays unread); and the committee records a paper
    service for two owners no channel reached."""
    now = timezone.now()
    start = after_quiet(now) if quiet(now) else now  # texts held over the night go at 08:00
    notifications.send_due_through(until=start + DEMO_RETRIES)
    estate = Estate.objects.get(code="E0001")
    open_vote = Vote.objects.filter(estate=estate, status="open").order_by("-opens_at").first()
    read = Delivery.objects.filter(channel=Channel.INBOX, message__event=Event.VOTE_RESULT, user__isnull=False)
    for delivery in read.select_related("user"):
        notifications.mark_read(actor=delivery.user, delivery=delivery)
    committee = get_user_model().objects.filter(username="committee").first()
    if open_vote is not None and committee is not None:
        waiting = selectors.service_figures(open_vote, personal=True)["unreached"][:2]
        owners = list(Owner.objects.filter(pk__in=[r["id"] for r in waiting]))
        if owners:
            votes.record_service(
                actor=committee, vote=open_vote, owners=owners, method="in_person", note="演示：送达本人并签收"
            )
    failed = Delivery.objects.filter(status=DeliveryStatus.FAILED, message__event=Event.VOTE_CONVENED).count()
    log(f"表决通知：短信失败 {failed} 条（演示网关拒收），结果通知已读 {read.count()} 条，书面送达 2 人")


@transaction.atomic
def _build(*, today, log=print) -> bool:
    estate = Estate.objects.get(code="E0001")
    if Vote.objects.filter(estate=estate).exists():
        return False
    if not PartyBranch.objects.filter(estate=estate).exists():
        steward.create_branch(actor=None, estate=estate, name=f"{estate.name}党支部", founded_on=date(2020, 7, 1))
    rng = random.Random(2021)
    now = timezone.now()
    closed = [
        (5, "使用维修资金更换1号楼、2号楼电梯", 0.85, 0.80, list(estate.buildings.order_by("id")[:2])),
        (4, "续聘三江物业服务有限公司", 0.50, 0.90, []),  # fails the quorum
        (7, "拆除地面停车场改建为休闲广场", 0.80, 0.60, []),  # quorum met, 3/4 not reached
        (9, "增设小区充电桩区域", 0.75, 0.50, list(estate.buildings.order_by("id")[2:3])),  # exactly half in favour
    ]
    for months, (matter, question, turnout, yes, buildings) in enumerate(closed, start=2):
        opens = now - timedelta(days=30 * months)
        vote = _convene(estate, matter, question, opens, 10, buildings)
        _ballots(vote, rng, turnout=turnout, yes=yes, at=opens + timedelta(hours=2))
        votes.close_vote(actor=None, vote=vote, now=vote.closes_at)
        post_result(vote)
    open_vote = _convene(estate, 5, "使用维修资金维修3号楼屋面防水", now - timedelta(days=1), 20)
    _ballots(open_vote, rng, turnout=0.55, yes=0.75, at=now - timedelta(hours=20))
    renewal = _renewal(estate, now)
    log(
        f"表决：{estate.name} 5 项已结束（通过、未达参与比例、未获特别多数、同意恰为一半、续聘通过），1 项进行中；"
        f"续签合同 {renewal.starts_on}—{renewal.ends_on} 关联续聘表决"
    )
    return True


def _renewal(estate, now):
    """After the first renewal vote missed its quorum, a second one passes; the renewal contract
    that follows the current one is recorded and linked to it (matter 4 of Civil Code art. 278)."""
    current = ServiceContract.objects.in_force(timezone.localdate(now)).get(estate=estate)
    opens = now - timedelta(days=45)
    vote = _convene(estate, 4, f"续聘{current.company.name}（第二次表决）", opens, 10)
    _ballots(vote, random.Random(2022), turnout=0.9, yes=0.9, at=opens + timedelta(hours=2))
    votes.close_vote(actor=None, vote=vote, now=vote.closes_at)
    post_result(vote)
    starts_on = current.ends_on + timedelta(days=1)
    renewal = registry.renew_contract(
        actor=None,
        contract=current,
        ends_on=last_day_after_months(starts_on, 36) - timedelta(days=1),
        today=timezone.localdate(now),
    )
    votes.link_contract_to_vote(actor=None, contract=renewal, vote=vote)
    return renewal
