"""Proxies (委托投票, issue 22 item 2): an owner lets someone vote for them in the owners'
assembly, for one vote or for a period.

* The agent (受托人) is an account: another owner of the same estate, holding a unit there
  now, or a member of the owner's household (residents.household) joined to one of the
  owner's units and not removed; never the owner themself.
* The owner appoints from their own account (confirmed there, no form needed), or the staff
  and committee members who run the estate's votes (``access.CONVENE_VOTES``) record a paper
  proxy with the signed form, checked and stored through community.uploads.
* An agent holds at most the rule set's ``proxy_max_principals`` owners whose active proxies
  cover the same vote, or whose ballots in it the agent already cast; an owner has one active
  proxy per vote (a vote proxy, or a period proxy whose days hold the vote's whole window:
  selectors.covers).
* Revocable, by the owner's account or those who may record it, until the agent has voted
  with it: a vote proxy that was used stays; a period proxy that was used keeps its ballots
  and may be revoked for the votes after.

The agent's ballot counts as the owner's, once: services.cast_ballot stores it for the owner
with the proxy, and the one-ballot-per-holder constraint refuses a second (by the owner or
by the agent). Committee meetings refuse proxies (committees.services.record_attendance).
"""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import access, audit, uploads
from community.locks import lock_one
from community.models import Estate, Owner, Ownership
from community.privacy import mask_name
from community.rules import rules_for
from notifications.models import Event
from notifications.services import notify
from residents.household import open_households

from ..models import Ballot, Proxy, Vote, VoteStatus
from .selectors import active_proxies, covering_q, covers, holdings_of

NOT_ALLOWED = _("您没有权限进行此操作。")
NO_FORM = _("工作人员登记委托，须上传业主签字的委托书（PDF、JPEG 或 PNG）。")
SELF_AGENT = _("不能委托自己。")
BAD_AGENT = _("受托人须是本小区的其他业主，或委托业主家中已加入的家庭成员。")
INACTIVE_AGENT = _("受托人的账号已停用。")
OVER_LIMIT = _("该受托人在同一表决中已接受 %(n)s 位业主的委托，已达上限（每位受托人最多 %(n)s 位）。")
ALREADY_APPOINTED = _("该业主在这次表决中已有有效的委托，请先撤销原委托。")
PERIOD_OVERLAPS = _("该业主在这段时间内已有有效的委托（%(start)s 至 %(end)s），请先撤销原委托。")
VOTE_OR_PERIOD = _("请选择一次表决，或填写委托的起止日期（二者选一）。")
BAD_PERIOD = _("委托截止日不能早于起始日。")
PERIOD_IN_PAST = _("委托起始日不能早于今天。")
VOTE_ENDED = _("该表决已经结束，不能再委托。")
NOT_IN_VOTE = _("委托业主在这次表决中没有表决权。")
NO_UNITS = _("委托业主目前没有持有的房屋。")
ALREADY_REVOKED = _("该委托已经撤销。")
USED = _("受托人已用该委托在“%(vote)s”中投票，不能再撤销。")
NOT_ACTIVE = _("该委托已撤销，或不适用于这次表决。")
NOT_AGENT = _("只有受托人本人可以用该委托投票。")


def _principal_estates(principal: Owner, today: date) -> set[int]:
    return set(
        Ownership.objects.in_force(today).filter(owner=principal).values_list("unit__building__estate_id", flat=True)
    )


def _may_record(actor, principal: Owner, vote: Vote | None, estates: set[int]) -> bool:
    """True when ``actor`` acts from the principal's own account; False for the staff who run
    the votes of the vote's estate (or, for a period, of an estate where the principal holds a
    unit); PermissionDenied for anyone else."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(NOT_ALLOWED)
    if principal.user_id is not None and principal.user_id == actor.pk:
        return True
    if vote is not None:
        allowed = access.can(actor, access.CONVENE_VOTES, vote.estate)
    else:
        allowed = access.visible(actor, access.CONVENE_VOTES, Estate.objects.filter(pk__in=estates)).exists()
    if not allowed:
        raise PermissionDenied(NOT_ALLOWED)
    return False


def check_agent(principal: Owner, agent, estates: set[int], today: date) -> None:
    """Refuse an agent who is not another owner holding a unit in one of ``estates`` now, nor a
    member of the principal's household joined to one of the principal's units there."""
    if principal.user_id is not None and principal.user_id == agent.pk:
        raise ValidationError(SELF_AGENT)
    if not agent.is_active:
        raise ValidationError(INACTIVE_AGENT)
    another_owner = (
        Ownership.objects.in_force(today)
        .filter(owner__user=agent, unit__building__estate__in=estates)
        .exclude(owner=principal)
        .exists()
    )
    if another_owner:
        return
    principal_units = (
        Ownership.objects.in_force(today).filter(owner=principal, unit__building__estate__in=estates).values("unit")
    )
    if not open_households(today).filter(user=agent, unit__in=principal_units).exists():
        raise ValidationError(BAD_AGENT)


def _voted_through(agent, vote: Vote) -> set[int]:
    """The owners whose ballots in ``vote`` came through ``agent``: a used proxy keeps its place
    under the limit even after a period proxy was revoked (its ballot stays)."""
    return set(Ballot.objects.filter(vote=vote, proxy__agent=agent).values_list("cast_by_id", flat=True))


def _check_limit_for_vote(agent, principal: Owner, vote: Vote, limit: int) -> None:
    others = (
        set(active_proxies().filter(covering_q(vote), agent=agent).values_list("principal_id", flat=True))
        | _voted_through(agent, vote)
    ) - {principal.pk}
    if len(others) >= limit:
        raise ValidationError(OVER_LIMIT, params={"n": limit})


def _check_limit_for_period(agent, principal: Owner, starts_on: date, ends_on: date, limit: int) -> None:
    """A period proxy must leave every vote it could cover within the limit: the votes not yet
    convened (the most other period proxies holding one same day), and the convened ones whose
    window the period holds (their vote proxies and the period proxies covering them)."""
    periods = list(
        active_proxies()
        .filter(agent=agent, vote=None, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .exclude(principal=principal)
        .values_list("principal_id", "starts_on", "ends_on")
    )
    days = {starts_on} | {s for _p, s, _e in periods if s >= starts_on}
    for day in days:
        if len({p for p, s, e in periods if s <= day <= e}) >= limit:
            raise ValidationError(OVER_LIMIT, params={"n": limit})
    voted = (
        active_proxies()
        .filter(agent=agent, vote__isnull=False)
        .exclude(vote__status=VoteStatus.CLOSED)
        .exclude(principal=principal)
        .select_related("vote")
    )
    # The ballots already cast through the agent in a vote still open count there too, even
    # when the proxy they came by (a period proxy) has been revoked since.
    used = (
        Ballot.objects.filter(proxy__agent=agent)
        .exclude(vote__status=VoteStatus.CLOSED)
        .exclude(cast_by=principal)
        .select_related("vote")
    )
    by_vote: dict[int, set[int]] = {}
    covered: dict[int, Vote] = {}
    window = Proxy(starts_on=starts_on, ends_on=ends_on)
    for vote, owner_id in [(p.vote, p.principal_id) for p in voted] + [(b.vote, b.cast_by_id) for b in used]:
        if covers(window, vote):
            by_vote.setdefault(vote.pk, set()).add(owner_id)
            covered[vote.pk] = vote
    for vote_id, vote in covered.items():
        by_vote[vote_id] |= {p for p, s, e in periods if covers(Proxy(starts_on=s, ends_on=e), vote)}
    if any(len(principals) >= limit for principals in by_vote.values()):
        raise ValidationError(OVER_LIMIT, params={"n": limit})


def _check_one_per_vote(principal: Owner, vote: Vote | None, starts_on: date | None, ends_on: date | None) -> None:
    mine = active_proxies().filter(principal=principal)
    if vote is not None:
        if mine.filter(covering_q(vote)).exists():
            raise ValidationError(ALREADY_APPOINTED)
        return
    overlapping = mine.filter(vote=None, starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if overlapping is not None:
        raise ValidationError(
            PERIOD_OVERLAPS,
            params={"start": f"{overlapping.starts_on:%Y-%m-%d}", "end": f"{overlapping.ends_on:%Y-%m-%d}"},
        )
    window = Proxy(starts_on=starts_on, ends_on=ends_on)
    for proxy in mine.filter(vote__isnull=False).exclude(vote__status=VoteStatus.CLOSED).select_related("vote"):
        if covers(window, proxy.vote):
            raise ValidationError(ALREADY_APPOINTED)


def _whom(proxy: Proxy) -> str:
    if proxy.vote_id is not None:
        return f"“{proxy.vote.question}”（{proxy.vote.estate.name}）"
    return f"{proxy.starts_on:%Y年%m月%d日} 至 {proxy.ends_on:%Y年%m月%d日}期间的业主大会表决"


@transaction.atomic
def appoint_proxy(
    *,
    actor,
    principal: Owner,
    agent,
    vote: Vote | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    form=None,
    now: datetime | None = None,
) -> Proxy:
    """Appoint ``agent`` (an account) to vote for ``principal`` in ``vote``, or in the votes a
    period from ``starts_on`` to ``ends_on`` (both included) covers. From the principal's own
    account it is confirmed there; staff who run the votes record it with the signed ``form``."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    has_period = starts_on is not None or ends_on is not None
    if (vote is not None and has_period) or (vote is None and (starts_on is None or ends_on is None)):
        raise ValidationError(VOTE_OR_PERIOD)
    if vote is not None:
        vote = Vote.objects.select_related("estate").get(pk=vote.pk)
    estates = {vote.estate_id} if vote is not None else _principal_estates(principal, today)
    own = _may_record(actor, principal, vote, estates)
    if not own and not form:
        raise ValidationError(NO_FORM)
    if form:
        uploads.check(form, uploads.ATTACHMENT)
    if vote is not None:
        if vote.status == VoteStatus.CLOSED or vote.closes_at <= now:
            raise ValidationError(VOTE_ENDED)
        if not holdings_of(principal, vote):
            raise ValidationError(NOT_IN_VOTE)
    else:
        if ends_on < starts_on:
            raise ValidationError(BAD_PERIOD)
        if starts_on < today:
            raise ValidationError(PERIOD_IN_PAST)
        if not estates:
            raise ValidationError(NO_UNITS)
    # One appointment at a time per principal and per agent, so neither rule is raced past.
    principal = lock_one(Owner, pk=principal.pk)
    agent = lock_one(get_user_model(), pk=agent.pk)
    check_agent(principal, agent, estates, today)
    _check_one_per_vote(principal, vote, starts_on, ends_on)
    # A period may reach votes in several estates: the strictest of their rule sets holds.
    limit = min(
        rules_for(e).proxy_max_principals for e in ([vote.estate] if vote else Estate.objects.filter(pk__in=estates))
    )
    if vote is not None:
        _check_limit_for_vote(agent, principal, vote, limit)
    else:
        _check_limit_for_period(agent, principal, starts_on, ends_on, limit)
    proxy = Proxy(
        principal=principal,
        agent=agent,
        vote=vote,
        starts_on=starts_on,
        ends_on=ends_on,
        confirmed_in_account=own,
        recorded_by=actor,
        created_at=now,
    )
    if form:
        uploads.store(proxy.form, form, uploads.ATTACHMENT)  # under a random name, written last
    proxy.save()
    audit.record(
        "proxy_appoint",
        user=actor,
        obj=proxy,
        detail={
            "principal": principal.pk,
            "agent": agent.pk,
            "vote": vote.pk if vote is not None else None,
            "period": [f"{starts_on}", f"{ends_on}"] if vote is None else None,
            "via": "account" if own else "form",
        },
    )
    notify(
        event=Event.PROXY,
        recipients=[agent],
        title=f"表决委托：{mask_name(principal.name)} 委托您代为表决",
        body=(
            f"业主 {mask_name(principal.name)} 委托您代为参加{_whom(proxy)}。\n"
            "登录后进入“我的表决”，即可代该业主投票；每份表决权只计一次，业主本人已投票的不能再投。"
            "业主可在您投票前撤销委托。"
        ),
        link=reverse("committees:my_votes"),
        subject=proxy,
    )
    return proxy


@transaction.atomic
def revoke_proxy(*, actor, proxy: Proxy, now: datetime | None = None) -> Proxy:
    """The principal's own account, or staff who may record the proxy, revoke it, until the
    agent has voted with it in its vote. A period proxy that was used keeps its ballots."""
    now = now or timezone.now()
    proxy = lock_one(Proxy.objects.select_related("principal", "vote__estate"), pk=proxy.pk)
    estates = (
        {proxy.vote.estate_id}
        if proxy.vote_id is not None
        else _principal_estates(proxy.principal, timezone.localdate(now))
    )
    _may_record(actor, proxy.principal, proxy.vote, estates)
    if proxy.revoked_at is not None:
        raise ValidationError(ALREADY_REVOKED)
    if proxy.vote_id is not None and Ballot.objects.filter(proxy=proxy).exists():
        raise ValidationError(USED, params={"vote": proxy.vote.question})
    proxy.revoked_at, proxy.revoked_by = now, actor
    proxy.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        "proxy_revoke", user=actor, obj=proxy, detail={"principal": proxy.principal_id, "agent": proxy.agent_id}
    )
    notify(
        event=Event.PROXY,
        recipients=[proxy.agent],
        title=f"表决委托已撤销：{mask_name(proxy.principal.name)}",
        body=f"业主 {mask_name(proxy.principal.name)} 对您参加{_whom(proxy)}的委托已于 "
        f"{timezone.localtime(now):%Y年%m月%d日 %H:%M} 撤销，您不能再代其投票。",
        link=reverse("committees:my_proxies"),
        key=f"proxy_revoked:{proxy.pk}",
        subject=proxy,
    )
    return proxy


def usable(*, proxy: Proxy, vote: Vote, agent, today: date) -> Proxy:
    """For cast_ballot, in its transaction: the proxy locked (a revocation waits for the ballot,
    or the ballot for the revocation), held by ``agent`` (the acting account, required), still
    active for ``vote``, and its agent still one the principal may appoint."""
    proxy = lock_one(Proxy.objects.select_related("principal", "agent"), pk=proxy.pk)
    if agent is None or agent.pk is None or agent.pk != proxy.agent_id:
        raise PermissionDenied(NOT_AGENT)
    if proxy.revoked_at is not None or not covers(proxy, vote):
        raise ValidationError(NOT_ACTIVE)
    check_agent(proxy.principal, proxy.agent, {vote.estate_id}, today)
    return proxy
