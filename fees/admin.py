"""Fees and the maintenance fund in the admin: read-only. Prices, bills, payments and ledger entries change only
through fees.services (the fee pages), so the admin is a window, never a second door;
not even a superuser may edit or delete a ledger entry here."""

from django.contrib import admin

from community.admin import ReadOnlyAdmin

from .models import Bill, Expenditure, FeeSchedule, FundAccount, FundUse, LedgerEntry, Payment, Statement, SubAccount


@admin.register(FeeSchedule)
class FeeScheduleAdmin(ReadOnlyAdmin):
    list_display = ("estate", "effective_from", "provider", "price_type", "bills_automatically", "published_at")
    list_select_related = ("estate",)


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = ("estate", "unit", "period", "item", "amount", "addressee")
    list_select_related = ("estate", "unit__building", "item")
    list_filter = ("period",)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("receipt_no", "estate", "unit", "amount", "paid_on", "backdated", "recorded_by")
    list_select_related = ("estate", "unit__building", "recorded_by")
    list_filter = ("backdated", "method")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("voucher", "estate", "ledger", "entry_date", "category", "description", "amount", "recorded_by")
    list_select_related = ("estate", "recorded_by")
    list_filter = ("ledger", "category", "year")


@admin.register(Expenditure)
class ExpenditureAdmin(ReadOnlyAdmin):
    list_display = ("estate", "payee", "amount", "status", "requested_at")
    list_select_related = ("estate",)
    list_filter = ("status",)


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ("estate", "kind", "starts_on", "ends_on", "published_at")
    list_select_related = ("estate",)


@admin.register(FundAccount)
class FundAccountAdmin(ReadOnlyAdmin):
    list_display = ("estate", "bank", "account_number", "rate", "custodian", "handed_over_on")
    list_select_related = ("estate",)


@admin.register(SubAccount)
class SubAccountAdmin(ReadOnlyAdmin):
    list_display = ("unit", "area", "first_deposit", "opened_on")
    list_select_related = ("unit__building__estate",)


@admin.register(FundUse)
class FundUseAdmin(ReadOnlyAdmin):
    list_display = ("estate", "title", "status", "emergency", "budget", "settlement", "paid_on")
    list_select_related = ("estate",)
    list_filter = ("status", "emergency", "kind")
