"""Linking a property-service contract to the owners' vote that decided it.

Hiring or dismissing the property company is matter 4 of Civil Code art. 278
(RULES.md §1): a contract is linked only to a closed vote of its own estate on
that matter which passed. Whoever keeps the estate's registry (change_registry)
records the link, as they record the contract itself.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from community import access
from community.locks import lock_one
from community.models import ServiceContract

from .models import ContractDecision, ContractDecisionKind, Matter, Vote, VoteStatus

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
