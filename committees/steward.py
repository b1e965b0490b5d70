"""Red steward (红色管家): the estate's party branch, its cross-appointment with the
committee, and its recorded review before a major matter goes to the owners' vote.

Its reads (which matters need a review, the unused reviews, who sits in both bodies) are in
``committees.selectors``. The review is a recorded step, not a veto: the owners still decide. Which matters
need it is the rule set's ``branch_review_matters`` (4–8 by default: choosing the
manager, the maintenance fund, rebuilding and the use of common parts).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from community import access

from .models import BranchReview, Matter, PartyBranch
from .selectors import needs_review

NOT_ALLOWED = _("您没有权限进行此操作。")
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
