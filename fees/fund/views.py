"""Maintenance-fund pages.

* Public, no login: an estate's published annual fund statements and the page that
  verifies one against the live sub-accounts.
* Owners: their sub-accounts (balance, top-up alert, history through sales) and the use
  requests that charge their units, with their share before the vote.
* Staff: the fund workspace (estates, review queue), an estate's account and alerts, a
  unit's sub-account, and a use request walked step by step. ``community.access`` decides
  what each may do; ``fees.fund.services`` checks it again on every action.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.votes import services as vote_services
from community import access, audit, jobs, pagecache, uploads
from community.models import Estate
from community.pdf import JOB_ROWS
from community.privacy import mask_name
from community.rules import rules_for
from community.web import act, cleaned, error_text, owner_or_403

from .. import selectors as fee_selectors
from .. import tasks
from ..models import FundAccount, FundUse, FundUseStatus, Subject
from ..selectors import estate_or_404, public_estates, published_statements, units_of
from ..verify import verify_page
from . import pdf, selectors, services
from .forms import (
    FundAccountForm,
    FundAmountForm,
    FundDateForm,
    FundRefundForm,
    FundReviewForm,
    FundUseForm,
    FundVoteForm,
    FundYearForm,
    PayoutApplicationForm,
    PayOutForm,
    WorksDoneForm,
)

S = FundUseStatus

# --------------------------------------------------------------------------- public


def fund_statements(request, estate_id):
    pagecache.public(request, pagecache.scope_of(Estate, estate_id))
    estate = get_object_or_404(public_estates(), pk=estate_id)
    return render(
        request,
        "fees/fund_statements.html",
        {"estate": estate, "statements": published_statements(estate, Subject.FUND)},
    )


def verify_fund(request, code, start, end):
    """Anyone holding a fund statement checks its fingerprint against the live sub-accounts."""
    estate = get_object_or_404(public_estates(), code__iexact=code)
    if not selectors.has_account(estate):
        raise Http404
    return verify_page(
        request,
        estate,
        start,
        end,
        subject=Subject.FUND,
        read=lambda s, e: selectors.fund_statement(estate, s, e),
        template="fees/fund_verify.html",
    )


# --------------------------------------------------------------------------- owners


@login_required
def my_fund(request):
    owner = owner_or_403(request)
    subs = list(selectors.owner_subaccounts(owner))
    for sub in subs:
        share = rules_for(sub.unit.building.estate).fund_topup_below
        sub.balance = selectors.yuan(sub.balance_cents)
        sub.alert = selectors.needs_top_up(sub.balance, sub.first_deposit, share)
        sub.floor = (sub.first_deposit * share.numerator / share.denominator).quantize(selectors.ZERO)
        sub.periods = selectors.history(sub.unit)
        for period in sub.periods:
            period.mine = owner.pk in period.owner_ids
            period.shown = "、".join(period.names if period.mine else [mask_name(n) for n in period.names])
    uses = list(selectors.owner_uses(owner)[:50])
    for charged in uses:
        charged.charged_yuan = selectors.yuan(-charged.charged)
    return render(request, "fees/my_fund.html", {"subs": subs, "uses": uses})


# --------------------------------------------------------------------------- staff


def _account(estate: Estate) -> FundAccount:
    """The estate's account; a page about a fund that has none is not found."""
    account = selectors.find_account(estate)
    if account is None:
        raise Http404
    return account


def _abilities(user, estate: Estate, account: FundAccount | None) -> dict:
    today = timezone.localdate()
    return {
        "keep": account is not None and access.can(user, services.authority(account, today), estate),
        "open": account is None and access.can(user, access.REVIEW_FUND, estate),
        "propose": any(access.can(user, perm, estate) for perm in services.PROPOSERS),
        "convene": access.can(user, access.CONVENE_VOTES, estate),
        "publish": access.can(user, access.PUBLISH_NOTICES, estate),
        "names": access.can(user, access.PERSONAL, estate),
    }


@login_required
def workspace(request):
    perms = (access.VIEW,)
    if not any(access.holds_anywhere(request.user, p) for p in perms):
        raise PermissionDenied
    estates = selectors.workspace_estates(request.user)
    queue = selectors.review_queue(request.user, timezone.localdate())
    return render(request, "fees/fund_workspace.html", {"estates": estates, "queue": queue})


@login_required
def estate_fund(request, estate_id):
    estate = estate_or_404(request.user, estate_id)
    account = selectors.find_account(estate)
    can = _abilities(request.user, estate, account)
    here = request.path
    if request.method == "POST":
        action = request.POST.get("action")
        base = request.build_absolute_uri("/")
        handlers = {
            "open": lambda: (
                services.open_account(actor=request.user, estate=estate, **cleaned(FundAccountForm(request.POST)))
                and _("维修资金专户已开立。")
            ),
            "subaccounts": lambda: (
                _("已为 %(n)s 户建立分户账并记入首期交存。")
                % {
                    "n": services.open_subaccounts(
                        actor=request.user,
                        account=services.account_of(estate),
                        on=cleaned(FundDateForm(request.POST))["on"],
                    )
                }
            ),
            "interest": lambda: _interest(request, estate),
            "income": lambda: _income(request, estate),
            "statement": lambda: (
                _("%(year)s 年度维修资金公布表已发布，公告草稿已生成。")
                % {
                    "year": services.publish_fund_statement(
                        actor=request.user,
                        estate=estate,
                        year=cleaned(FundYearForm(request.POST))["year"],
                        base_url=base,
                    ).starts_on.year
                }
            ),
        }
        if action not in handlers:
            raise Http404
        return act(request, handlers[action], here)
    context = {"estate": estate, "account": account, "can": can}
    if account is None:
        context["account_form"] = FundAccountForm() if can["open"] else None
        return render(request, "fees/fund_estate.html", context)
    alerts = list(selectors.alerts(account)[:200])
    for sub in alerts:
        sub.balance = selectors.yuan(sub.balance_cents)
    context.update(
        {
            "totals": selectors.estate_totals(account),
            "keeper": account.keeper_name(timezone.localdate()),
            "reviewer": _("业主委员会") if account.handed_over(timezone.localdate()) else account.custodian,
            "subaccounts": selectors.subaccount_count(account),
            "units": selectors.unit_count(estate),
            "alerts": alerts,
            "share": rules_for(estate).fund_topup_below,
            "uses": selectors.uses_of(estate),
            "statements": published_statements(estate, Subject.FUND),
            # The forms share field names; each gets its own element ids, so each label finds its field.
            "date_form": FundDateForm(auto_id="id_subaccounts_%s"),
            "interest_form": FundAmountForm(auto_id="id_interest_%s"),
            "income_form": FundAmountForm(auto_id="id_income_%s"),
            "year_form": FundYearForm(initial={"year": timezone.localdate().year - 1}),
            "overdue": [u for u in selectors.paid_emergencies(estate) if services.publication_overdue(u)],
        }
    )
    return render(request, "fees/fund_estate.html", context)


def _interest(request, estate):
    data = cleaned(FundAmountForm(request.POST))
    batch = services.post_interest(
        actor=request.user,
        account=services.account_of(estate),
        amount=data["amount"],
        on=data["on"],
        description=data["description"],
    )
    return _("利息已按余额分配到 %(n)s 户，凭证 %(first)s 至 %(last)s。") % {
        "n": batch.count,
        "first": batch.first_voucher,
        "last": batch.last_voucher,
    }


def _income(request, estate):
    data = cleaned(FundAmountForm(request.POST))
    batch = services.post_income(
        actor=request.user,
        account=services.account_of(estate),
        amount=data["amount"],
        on=data["on"],
        description=data["description"],
    )
    return _("收益已按面积分配到 %(n)s 户。") % {"n": batch.count}


@login_required
def unit_fund(request, estate_id, unit_id):
    estate = estate_or_404(request.user, estate_id)
    unit = get_object_or_404(units_of(estate), pk=unit_id)
    account = _account(estate)
    can = _abilities(request.user, estate, account)
    here = request.path
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "topup":

            def topup():
                data = cleaned(FundAmountForm(request.POST))
                entry = services.top_up(
                    actor=request.user, unit=unit, amount=data["amount"], on=data["on"], note=data["description"]
                )
                return _("已记入续交 %(amount)s 元，凭证 %(v)s。") % {"amount": entry.amount, "v": entry.voucher}

            return act(request, topup, here)
        if action == "refund":

            def give_back():
                data = cleaned(FundRefundForm(request.POST))
                entry = services.refund(
                    actor=request.user, unit=unit, amount=data["amount"], on=data["on"], reason=data["reason"]
                )
                return _("已退还 %(amount)s 元，凭证 %(v)s。") % {"amount": -entry.amount, "v": entry.voucher}

            return act(request, give_back, here)
        if action == "reverse":

            def reverse():
                entry = get_object_or_404(selectors.unit_entries(unit), pk=request.POST.get("entry") or 0)
                back = services.reverse_fund_entry(
                    actor=request.user, entry=entry, reason=request.POST.get("reason", "")
                )
                return _("已冲销，冲销凭证 %(v)s。") % {"v": back.voucher}

            return act(request, reverse, here)
        raise Http404
    sub = selectors.subaccount_of(unit)
    periods = selectors.history(unit) if sub else []
    for period in periods:
        period.shown = "、".join(period.names if can["names"] else [mask_name(n) for n in period.names])
    if can["names"] and periods:
        audit.record("view_personal", request=request, obj=unit, detail={"page": "fund_unit"})
    balance = selectors.balance_of(unit)
    return render(
        request,
        "fees/fund_unit.html",
        {
            "estate": estate,
            "unit": unit,
            "sub": sub,
            "can": can,
            "periods": periods,
            "balance": balance,
            "alert": sub is not None
            and selectors.needs_top_up(balance, sub.first_deposit, rules_for(estate).fund_topup_below),
            "amount_form": FundAmountForm(),
            "refund_form": FundRefundForm(auto_id="id_refund_%s"),
        },
    )


@login_required
def use_new(request, estate_id):
    estate = estate_or_404(request.user, estate_id)
    account = _account(estate)
    if not _abilities(request.user, estate, account)["propose"]:
        raise PermissionDenied
    form = FundUseForm(request.POST or None, estate=estate)
    if request.method == "POST":
        try:
            data = cleaned(form)
            rooms = data.pop("rooms")
            units = []
            if rooms.strip():
                lines = vote_services.read_unit_lines(estate, rooms, with_choice=False)
                units = selectors.units_by_pk([pk for _n, pk, *_rest in lines])
            use = services.plan_use(actor=request.user, estate=estate, units=units, **data)
            messages.success(request, _("使用方案已登记：%(n)s 户按面积分摊。") % {"n": selectors.charged_count(use)})
            return redirect("fees:fund_use", use.pk)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
    return render(request, "fees/fund_use_form.html", {"estate": estate, "form": form})


@login_required
def use_detail(request, pk):
    use = selectors.visible_use(request.user, pk)
    estate = use.estate
    account = _account(estate)
    can = _abilities(request.user, estate, account)
    reviews = selectors.pending_reviews(estate)
    here = request.path
    if request.method == "POST":
        action = request.POST.get("action")
        me = request.user
        handlers = {
            "vote": lambda: (
                services.put_to_vote(actor=me, use=use, **cleaned(FundVoteForm(request.POST, reviews=reviews)))
                and _("业主表决已召集，表决公告草稿已生成。")
            ),
            "settle_vote": lambda: services.settle_vote(actor=me, use=use).get_status_display(),
            "publish_plan": lambda: services.publish_plan(actor=me, use=use) and _("方案及表决结果公示已发布。"),
            "done": lambda: (
                services.record_works_done(actor=me, use=use, **cleaned(WorksDoneForm(request.POST)))
                and _("已记录竣工验收。")
            ),
            "apply": lambda: (
                services.apply_payout(actor=me, use=use, **cleaned(PayoutApplicationForm(request.POST, request.FILES)))
                and _("拨付申请已提交，等待审核。")
            ),
            "review": lambda: _review(
                me, use, cleaned(FundReviewForm(request.POST, seats=_review_seats(use, account)))
            ),
            "pay": lambda: (
                _("已拨付，%(n)s 户分户账已按面积分摊记账。")
                % {"n": services.pay_out(actor=me, use=use, **cleaned(PayOutForm(request.POST))).count}
            ),
            "publish_settlement": lambda: services.publish_settlement(actor=me, use=use) and _("结算公示已发布。"),
        }
        if action not in handlers:
            raise Http404
        return act(request, handlers[action], here)
    status = use.status
    rows = selectors.split_rows(use)
    count, area = len(rows), sum((r.area for r in rows), selectors.ZERO)
    steps = selectors.steps(use)
    vote_closed = use.vote is not None and use.vote.status == "closed"
    return render(
        request,
        "fees/fund_use.html",
        {
            "use": use,
            "estate": estate,
            "account": account,
            "can": can,
            "steps": steps,
            "agreement": selectors.payout_agreement(use),
            "rows": rows[:500],
            "count": count,
            "area": area,
            "more_rows": max(0, count - 500),
            "overdue": services.publication_overdue(use),
            "paid_total": sum((r.amount or 0 for r in rows), 0),
            "deadlines": _deadlines(use),
            "forms": {
                "vote": FundVoteForm(reviews=reviews)
                if can["convene"] and status == S.PLANNED and not use.emergency
                else None,
                "settle_vote": can["propose"] and status == S.VOTING and vote_closed,
                "publish_plan": can["publish"] and status == S.APPROVED,
                "done": WorksDoneForm()
                if can["propose"] and (status == S.PUBLICIZED or (status == S.PLANNED and use.emergency))
                else None,
                "apply": PayoutApplicationForm(initial={"settlement": use.settlement or use.budget})
                if can["propose"] and status in (S.WORKS_DONE, S.RETURNED)
                else None,
                "review": FundReviewForm(seats=_review_seats(use, account))
                if can["keep"] and status == S.APPLIED
                else None,
                "pay": PayOutForm() if can["keep"] and status == S.CLEARED else None,
                "publish_settlement": can["publish"] and status == S.PAID,
            },
        },
    )


def _review(actor, use, data):
    done = services.review_payout(
        actor=actor,
        use=use,
        approve=data["decision"] == "clear",
        comments=data["comments"],
        in_favour=data.get("in_favour") or () if data["decision"] == "clear" else (),
    )
    if done.status == S.APPLIED:
        return _("已登记委员同意，待委员本人登录确认后生效。")
    return done.get_status_display()


def _review_seats(use: FundUse, account: FundAccount | None):
    """The committee's seated members when the committee keeps the fund and reviews this payout; None otherwise."""
    if account is None or services.authority(account, timezone.localdate()) != access.APPROVE_SPENDING:
        return None
    return fee_selectors.seats(fee_selectors.committee_of(use.estate))


def _deadlines(use: FundUse) -> list[tuple[str, str]]:
    """The dates that bound this request: the vote's window, the plan's publicity, an emergency's publication."""
    found = []
    if use.vote is not None:
        found.append((_("表决开始"), f"{timezone.localtime(use.vote.opens_at):%Y-%m-%d %H:%M}"))
        found.append((_("表决结束"), f"{timezone.localtime(use.vote.closes_at):%Y-%m-%d %H:%M}"))
    if use.plan_notice is not None and use.plan_notice.publicity_end:
        found.append((_("方案公示截止"), f"{use.plan_notice.publicity_end:%Y-%m-%d}"))
    if use.publish_by is not None:
        found.append((_("应急使用公示期限"), f"{use.publish_by:%Y-%m-%d}"))
    return found


@login_required
def use_invoice(request, pk):
    """A payout's invoice, to those who may see the use request (media is never served bare)."""
    use = selectors.visible_use(request.user, pk)
    return uploads.serve(use.invoice, filename=f"fund-use-{use.pk}-invoice")


@login_required
def use_split_pdf(request, pk):
    use = selectors.visible_use(request.user, pk)
    rows = selectors.split_rows(use)
    if len(rows) > JOB_ROWS:  # a long one is made by a job; the page shows it coming
        started = jobs.start(
            actor=request.user,
            task=tasks.fund_split_pdf,
            title=_("%(title)s 分摊明细 PDF") % {"title": use.title},
            params={"use": use.pk},
        )
        return redirect("community:job", started.pk)
    response = HttpResponse(pdf.fund_split_pdf(use, rows), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="fund-use-{use.pk}.pdf"'
    return response
