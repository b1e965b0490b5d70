"""Red steward (红色管家): the estate's party branch, its cross-appointment with the
committee, and its recorded review before a major matter goes to the owners' vote.

The branch and its members are kept here, by those who hold ``access.MANAGE_BRANCHES`` over the
estate (its community's staff, the district administrator): ``create_branch`` (one per estate),
``edit_branch``, ``add_member`` (a name, a role, and optionally the owner record of an owner of
that estate, which is what shows a cross-appointment with the committee), ``change_role`` and
``remove_member`` (the member keeps their row with the day they left). A branch has one
secretary at a time. Each change is audited.

Its reads (which matters need a review, the unused reviews, who sits in both bodies, the branch
page and the district's overview) are in ``committees.selectors``. The review is a recorded
step, not a veto: the owners still decide. Which matters need it is the rule set's
``branch_review_matters`` (4–8 by default: choosing the manager, the maintenance fund,
rebuilding and the use of common parts).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import access, audit
from community.locks import hold, lock_one
from community.models import Estate, Owner, Ownership

from .models import BranchMember, BranchReview, BranchRole, Matter, PartyBranch
from .selectors import needs_review

NOT_ALLOWED = _("您没有权限进行此操作。")
BRANCH_EXISTS = _("本小区已登记党支部，请修改现有党支部。")
NO_BRANCH_NAME = _("请填写党支部名称。")
FOUNDED_LATER = _("成立日期不能晚于今天。")
NO_MEMBER_NAME = _("请填写党员姓名。")
BAD_ROLE = _("请选择书记、副书记或党员。")
ONE_SECRETARY = _("本党支部已有书记（%(name)s），请先调整其职务再任命新书记。")
NOT_AN_OWNER = _("所选业主不是本小区的业主，不能关联。")
ALREADY_MEMBER = _("该业主已是本党支部成员。")
MEMBER_GONE = _("该成员已不在本党支部。")
NO_OPINION = _("请写明党支部的审议意见。")
REVIEW_NEEDED = _("“%(matter)s”须先经小区党支部审议，再提交业主表决。")
REVIEW_MISMATCH = _("所选党支部审议记录与本次表决的事项不符，或已用于其他表决。")


@transaction.atomic
def record_review(
    *, actor, branch: PartyBranch, matter: int, question: str, reviewed_on: date, opinion: str
) -> BranchReview:
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, branch.estate):
        raise PermissionDenied(NOT_ALLOWED)
    if not opinion.strip():
        raise ValidationError(NO_OPINION)
    review = BranchReview(
        branch=branch,
        matter=matter,
        question=question.strip(),
        reviewed_on=reviewed_on,
        opinion=opinion.strip(),
        recorded_by=actor,
    )
    review.full_clean()
    review.save()
    return review


def check_review(estate, matter: int, review: BranchReview | None) -> None:
    """Refuse a vote on a matter the branch must review when no fitting, unused review is given."""
    if review is None:
        if needs_review(estate, matter):
            raise ValidationError(REVIEW_NEEDED, params={"matter": Matter(matter).label})
        return
    if review.branch.estate_id != estate.pk or review.matter != matter or review.vote_id is not None:
        raise ValidationError(REVIEW_MISMATCH)


# --------------------------------------------------------------------------- the branch and its members


def _name(text: str, message) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text


def _founded(day: date) -> date:
    if day > timezone.localdate():
        raise ValidationError(FOUNDED_LATER)
    return day


@transaction.atomic
def create_branch(*, actor, estate: Estate, name: str, founded_on: date) -> PartyBranch:
    """Register the estate's party branch (one per estate)."""
    access.require(actor, access.MANAGE_BRANCHES, estate)
    name, founded_on = _name(name, NO_BRANCH_NAME), _founded(founded_on)
    hold(estate)  # two staff registering the same estate's branch queue here
    if PartyBranch.objects.filter(estate=estate).exists():
        raise ValidationError(BRANCH_EXISTS)
    branch = PartyBranch(estate=estate, name=name, founded_on=founded_on)
    branch.full_clean()
    branch.save()
    audit.record("branch_create", user=actor, obj=branch, detail={"estate": estate.pk})
    return branch


@transaction.atomic
def edit_branch(*, actor, branch: PartyBranch, name: str, founded_on: date) -> PartyBranch:
    access.require(actor, access.MANAGE_BRANCHES, branch.estate)
    name, founded_on = _name(name, NO_BRANCH_NAME), _founded(founded_on)
    branch = lock_one(PartyBranch, pk=branch.pk)
    before = {"name": branch.name, "founded_on": branch.founded_on.isoformat()}
    branch.name, branch.founded_on = name, founded_on
    branch.full_clean()
    branch.save(update_fields=["name", "founded_on"])
    audit.record(
        "branch_change",
        user=actor,
        obj=branch,
        detail={"estate": branch.estate_id, "before": before, "name": name, "founded_on": founded_on.isoformat()},
    )
    return branch


def _role(role: str) -> str:
    if role not in BranchRole.values:
        raise ValidationError(BAD_ROLE)
    return role


def _check_secretary(branch: PartyBranch, role: str, *, besides: BranchMember | None = None) -> None:
    if role != BranchRole.SECRETARY:
        return
    current = branch.members.filter(left_on=None, role=BranchRole.SECRETARY)
    if besides is not None:
        current = current.exclude(pk=besides.pk)
    secretary = current.first()
    if secretary is not None:
        raise ValidationError(ONE_SECRETARY, params={"name": secretary.name})


@transaction.atomic
def add_member(
    *, actor, branch: PartyBranch, name: str, role: str = BranchRole.MEMBER, owner: Owner | None = None, on=None
) -> BranchMember:
    """Add a member to the branch. ``owner``, when given, must hold a unit of the branch's estate
    on ``on`` (today by default): it is what shows the member's seat on the committee, if any."""
    access.require(actor, access.MANAGE_BRANCHES, branch.estate)
    name, role = _name(name, NO_MEMBER_NAME), _role(role)
    on = on or timezone.localdate()
    branch = lock_one(PartyBranch, pk=branch.pk)  # one change to a branch's members at a time
    if owner is not None:
        holds = Ownership.objects.in_force(on).filter(owner=owner, unit__building__estate=branch.estate_id)
        if not holds.exists():
            raise ValidationError(NOT_AN_OWNER)
        if branch.members.filter(left_on=None, owner=owner).exists():
            raise ValidationError(ALREADY_MEMBER)
    _check_secretary(branch, role)
    member = BranchMember(branch=branch, name=name, role=role, owner=owner)
    member.full_clean(validate_constraints=False)  # the constraints were checked above, in Chinese
    member.save()
    audit.record(
        "branch_member",
        user=actor,
        obj=member,
        detail={"estate": branch.estate_id, "change": "add", "role": role, "owner": owner.pk if owner else None},
    )
    return member


@transaction.atomic
def change_role(*, actor, member: BranchMember, role: str) -> BranchMember:
    access.require(actor, access.MANAGE_BRANCHES, member.branch.estate)
    role = _role(role)
    branch = lock_one(PartyBranch, pk=member.branch_id)
    member = lock_one(BranchMember, pk=member.pk)
    if member.left_on is not None:
        raise ValidationError(MEMBER_GONE)
    _check_secretary(branch, role, besides=member)
    before, member.role = member.role, role
    member.save(update_fields=["role"])
    audit.record(
        "branch_member",
        user=actor,
        obj=member,
        detail={"estate": branch.estate_id, "change": "role", "before": before, "role": role},
    )
    return member


@transaction.atomic
def remove_member(*, actor, member: BranchMember, on: date | None = None) -> BranchMember:
    """The member leaves the branch on ``on`` (today by default); their row stays, with that day."""
    access.require(actor, access.MANAGE_BRANCHES, member.branch.estate)
    on = on or timezone.localdate()
    lock_one(PartyBranch, pk=member.branch_id)
    member = lock_one(BranchMember, pk=member.pk)
    if member.left_on is not None:
        raise ValidationError(MEMBER_GONE)
    member.left_on = on
    member.save(update_fields=["left_on"])
    audit.record(
        "branch_member",
        user=actor,
        obj=member,
        detail={"estate": member.branch.estate_id, "change": "remove", "role": member.role, "left_on": on.isoformat()},
    )
    return member
