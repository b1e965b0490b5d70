"""The owners' extraordinary assembly (临时业主大会, 指导规则 art. 21), one function per step:
an owner opens a proposal from their account (or staff record a paper one), owners support it
from their accounts or on a signed paper list, and once the supporters hold the rule set's
share of the area AND of the heads (a fifth each by default, counted as the tally counts them) the proposal
is reached: the committee must convene within the rule set's days, and is told so. The
assembly's vote is convened through committees.votes.services and linked to the proposal.

Support is counted by committees.selectors.owners_share, the same count a motion to remove a
member uses; the figures are kept on the proposal as they stood at each step.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import access, audit, duties, uploads
from community.legaltime import last_day_after_days
from community.locks import lock_one
from community.models import Owner, Role
from community.rules import rules_for
from notifications.models import Event
from notifications.services import notify
from residents import coverage

from .models import AssemblyProposal, Matter, ProposalStatus, ProposalSupport, SupportVia
from .selectors import owner_in_estate, owners_share, sitting_members
from .votes.services import convene_vote
from .votes.tally import share_text

P = ProposalStatus

NOT_AN_OWNER = _("只有本小区的业主可以从本人账号提议或支持临时业主大会。")
NOT_ALLOWED = _("您没有权限进行此操作。")
NEEDS_A_PERSON = _("提议和支持须由业主本人或登记人办理。")
NO_SUBJECT = _("请写明提议事项。")
NO_REASONS = _("请写明提议理由。")
NOT_COLLECTING = _("该提议已%(status)s，不再征集支持。")
ALREADY_SUPPORTED = _("您已支持过该提议，每位业主只计一次。")
ALL_SUPPORTED = _("名单上的业主均已支持过该提议，无需重复登记。")
NO_LIST = _("请上传业主签名名单的扫描件或照片。")
NO_OWNERS = _("名单中的房屋没有登记在册的业主。")
NOT_OPENER = _("只有提议的发起人可以撤回提议。")
NOT_REACHED = _("提议尚未达到法定比例（面积和人数均须达到 %(area)s、%(heads)s），不能召开临时业主大会。")
ALREADY_CONVENED = _("该提议已召开业主大会（%(vote)s）。")
TOO_LATE = _("临时业主大会最迟应于 %(day)s 召开；按 %(days)s 日的公告期，最早可于 %(earliest)s 开始表决。")


def _count(proposal: AssemblyProposal, now: datetime) -> None:
    """Count the support as the tally counts heads and area, keep the figures, and when both
    shares are reached mark the proposal reached, set the day to convene by and tell the
    committee and the community staff."""
    estate = proposal.estate
    rules = rules_for(estate)
    on = timezone.localdate(now)
    owners = list(Owner.objects.filter(pk__in=proposal.supporters.values("owner")))
    result = owners_share(
        estate, owners, on=on, area=rules.extraordinary_assembly_area, heads=rules.extraordinary_assembly_heads
    )
    proposal.support = {
        "on": on.isoformat(),
        "supporters": len(owners),
        "heads": result.participating.heads,
        "heads_total": result.eligible.heads,
        "area": str(result.participating.area),
        "area_total": str(result.eligible.area),
        "area_share": share_text(result.quorum_area),
        "heads_share": share_text(result.quorum_heads),
        "area_pct": coverage.percent(result.quorum_area),
        "heads_pct": coverage.percent(result.quorum_heads),
        "area_needed": str(rules.extraordinary_assembly_area),
        "heads_needed": str(rules.extraordinary_assembly_heads),
        "met": result.quorum_met,
    }
    fields = ["support"]
    if result.quorum_met and proposal.status == P.COLLECTING:
        proposal.status = P.REACHED
        proposal.reached_on = on
        proposal.convene_by = last_day_after_days(on, rules.extraordinary_assembly_convene_days)
        fields += ["status", "reached_on", "convene_by"]
    proposal.save(update_fields=fields)
    if "status" in fields:
        duties.changed()  # the committee must now convene by convene_by
        _tell_reached(proposal)


def _tell_reached(proposal: AssemblyProposal) -> None:
    estate = proposal.estate
    members = sitting_members(estate)
    staff = list(access.users_with_role(Role.COMMUNITY_STAFF, estate.grid.community))
    recipients = list({u.pk: u for u in [m.owner.user for m in members if m.owner.user] + staff}.values())
    figures = proposal.support
    notify(
        event=Event.ASSEMBLY_PROPOSED,
        recipients=recipients,
        title=f"{estate.name}：临时业主大会提议已达到法定比例，最迟 {proposal.convene_by:%Y-%m-%d} 召开",
        body=(
            f"提议事项：{proposal.subject}\n"
            f"支持业主占专有部分面积 {figures['area_pct']}%、人数 {figures['heads_pct']}%，"
            f"已达到规则规定的比例（面积 {figures['area_needed']}、人数 {figures['heads_needed']}）。\n"
            f"业主委员会应于 {proposal.convene_by:%Y年%m月%d日} 前召开临时业主大会。"
        ),
        link=reverse("committees:assembly", args=[estate.pk]),
        subject=proposal,
    )


def _collecting(proposal: AssemblyProposal) -> None:
    if proposal.status != P.COLLECTING:
        raise ValidationError(NOT_COLLECTING, params={"status": P(proposal.status).label})


@transaction.atomic
def open_proposal(
    *, actor, estate, subject: str, reasons: str, paper: bool = False, now: datetime | None = None
) -> AssemblyProposal:
    """An owner of the estate proposes an extraordinary assembly from their own account, their
    own support recorded at once; or staff who run the estate's votes record a proposal owners
    made on paper (``paper``), its signatures then entered by record_paper_support."""
    now = now or timezone.now()
    if actor is None:
        raise PermissionDenied(NEEDS_A_PERSON)
    owner = None if paper else owner_in_estate(actor, estate, timezone.localdate(now))
    if owner is None:
        if not paper:
            raise PermissionDenied(NOT_AN_OWNER)
        access.require(actor, access.CONVENE_VOTES, estate)
    subject, reasons = subject.strip(), reasons.strip()
    if not subject:
        raise ValidationError(NO_SUBJECT)
    if not reasons:
        raise ValidationError(NO_REASONS)
    proposal = AssemblyProposal.objects.create(
        estate=estate, subject=subject, reasons=reasons, opened_at=now, opened_by=actor
    )
    audit.record(
        "assembly_proposal",
        user=actor,
        obj=proposal,
        detail={"estate": estate.pk, "subject": subject, "via": "paper" if owner is None else "account"},
    )
    if owner is not None:
        ProposalSupport.objects.create(
            proposal=proposal, owner=owner, via=SupportVia.ACCOUNT, recorded_by=actor, at=now
        )
    _count(proposal, now)
    return proposal


@transaction.atomic
def support_proposal(*, actor, proposal: AssemblyProposal, now: datetime | None = None) -> AssemblyProposal:
    """An owner supports a proposal from their own account, once per owner record. A co-owner's
    support stands for the co-ownership in the count (the other co-owner may add theirs; the
    co-ownership still counts once)."""
    now = now or timezone.now()
    proposal = lock_one(AssemblyProposal.objects.select_related("estate__grid__community"), pk=proposal.pk)
    owner = owner_in_estate(actor, proposal.estate, timezone.localdate(now))
    if owner is None:
        raise PermissionDenied(NOT_AN_OWNER)
    _collecting(proposal)
    if proposal.supporters.filter(owner=owner).exists():
        raise ValidationError(ALREADY_SUPPORTED)
    ProposalSupport.objects.create(proposal=proposal, owner=owner, via=SupportVia.ACCOUNT, recorded_by=actor, at=now)
    audit.record("assembly_support", user=actor, obj=proposal, detail={"owner": owner.pk, "via": "account"})
    _count(proposal, now)
    return proposal


@transaction.atomic
def record_paper_support(*, actor, proposal: AssemblyProposal, owners, signed_list, now: datetime | None = None) -> int:
    """Staff who run the estate's votes record the owners who signed a paper list, the scanned
    list (PDF, JPEG or PNG) checked and kept with each of them under a random name. Owners who
    already support the proposal are left as they are; returns how many were added. A bad file
    or a list of nobody new writes nothing."""
    now = now or timezone.now()
    proposal = lock_one(AssemblyProposal.objects.select_related("estate__grid__community"), pk=proposal.pk)
    if actor is None:
        raise PermissionDenied(NEEDS_A_PERSON)
    access.require(actor, access.CONVENE_VOTES, proposal.estate)
    _collecting(proposal)
    if not signed_list:
        raise ValidationError(NO_LIST)
    uploads.check(signed_list, uploads.ATTACHMENT)
    owners = list({o.pk: o for o in owners}.values())
    if not owners:
        raise ValidationError(NO_OWNERS)
    already = set(proposal.supporters.values_list("owner_id", flat=True))
    new = [o for o in owners if o.pk not in already]
    if not new:
        raise ValidationError(ALL_SUPPORTED)
    rows = [ProposalSupport(proposal=proposal, owner=o, via=SupportVia.PAPER, recorded_by=actor, at=now) for o in new]
    # The list is stored once (last, when all else is known good) and shared by the rows.
    uploads.store(rows[0].signed_list, signed_list, uploads.ATTACHMENT)
    for row in rows[1:]:
        row.signed_list.name = rows[0].signed_list.name
    ProposalSupport.objects.bulk_create(rows)
    audit.record(
        "assembly_support",
        user=actor,
        obj=proposal,
        detail={"owners": [o.pk for o in new], "via": "paper", "list": rows[0].signed_list.name},
    )
    _count(proposal, now)
    return len(new)


@transaction.atomic
def withdraw_proposal(*, actor, proposal: AssemblyProposal, now: datetime | None = None) -> AssemblyProposal:
    """The opener withdraws a proposal that has not yet reached the share."""
    proposal = lock_one(AssemblyProposal, pk=proposal.pk)
    if actor is None or proposal.opened_by_id != actor.pk:
        raise PermissionDenied(NOT_OPENER)
    _collecting(proposal)
    proposal.status = P.WITHDRAWN
    proposal.save(update_fields=["status"])
    duties.changed()
    audit.record("assembly_proposal", user=actor, obj=proposal, detail={"withdrawn": True})
    return proposal


@transaction.atomic
def convene_for_proposal(
    *,
    actor,
    proposal: AssemblyProposal,
    opens_at: datetime,
    closes_at: datetime,
    matter: int,
    question: str,
    branch_review=None,
    now: datetime | None = None,
) -> AssemblyProposal:
    """Convene the extraordinary assembly a reached proposal asks for: its vote (over the whole
    estate) through committees.votes.services.convene_vote, linked to the proposal. While the
    deadline can still be kept, the vote must open by it. A major matter in an estate with a
    party branch needs the branch's review first (``branch_review``, as for any vote)."""
    now = now or timezone.now()
    proposal = lock_one(AssemblyProposal.objects.select_related("estate", "vote"), pk=proposal.pk)
    access.require(actor, access.CONVENE_VOTES, proposal.estate)
    if proposal.vote is not None:
        raise ValidationError(ALREADY_CONVENED, params={"vote": proposal.vote.question})
    rules = rules_for(proposal.estate)
    if proposal.status != P.REACHED:
        raise ValidationError(
            NOT_REACHED,
            params={"area": str(rules.extraordinary_assembly_area), "heads": str(rules.extraordinary_assembly_heads)},
        )
    if matter not in Matter.values:
        raise ValidationError(_("请选择表决事项。"))
    earliest = last_day_after_days(timezone.localdate(now), rules.assembly_notice_days)
    if earliest <= proposal.convene_by < timezone.localdate(opens_at):
        raise ValidationError(
            TOO_LATE, params={"day": proposal.convene_by, "days": rules.assembly_notice_days, "earliest": earliest}
        )
    proposal.vote = convene_vote(
        actor=actor,
        estate=proposal.estate,
        matter=matter,
        question=question,
        opens_at=opens_at,
        closes_at=closes_at,
        now=now,
        branch_review=branch_review,
    )
    proposal.status = P.CONVENED
    proposal.save(update_fields=["vote", "status"])
    duties.changed()
    audit.record(
        "assembly_convene",
        user=actor,
        obj=proposal,
        detail={"vote": proposal.vote.pk, "convene_by": str(proposal.convene_by)},
    )
    return proposal
