from django.urls import path

from . import views
from .fund import views as fund_views

app_name = "fees"

urlpatterns = [
    path("estates/<int:estate_id>/prices/", views.prices, name="prices"),
    path("estates/<int:estate_id>/statements/", views.statements, name="statements"),
    path("statements/<int:pk>.pdf", views.statement_pdf, name="statement_pdf"),
    path("verify/statement/<str:code>/<str:start>/<str:end>/", views.verify, name="verify"),
    path("me/bills/", views.my_bills, name="my_bills"),
    path("receipts/<int:pk>.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("fees/", views.workspace, name="workspace"),
    path("fees/estates/<int:estate_id>/", views.estate_fees, name="estate"),
    path("fees/estates/<int:estate_id>/units/<int:unit_id>/", views.unit_fees, name="unit"),
    path("fees/estates/<int:estate_id>/prices/new/", views.schedule_new, name="schedule_new"),
    path("fees/estates/<int:estate_id>/ledger/", views.ledger, name="ledger"),
    path("fees/estates/<int:estate_id>/export/", views.export, name="export"),
    path("fees/estates/<int:estate_id>/history/", views.history_import_page, name="history_import"),
    path("fees/estates/<int:estate_id>/history/confirm/", views.history_confirm, name="history_confirm"),
    path("fees/estates/<int:estate_id>/history/sample.xlsx", views.history_sample, name="history_sample"),
    path("fees/estates/<int:estate_id>/expenditures/", views.expenditures, name="expenditures"),
    path("fees/expenditures/<int:pk>/", views.expenditure, name="expenditure"),
    path("fees/expenditures/<int:pk>/attachment/", views.attachment, name="attachment"),
    path("fees/letters/<int:pk>.pdf", views.letter_pdf, name="letter_pdf"),
    # the maintenance fund
    path("estates/<int:estate_id>/fund/", fund_views.fund_statements, name="fund_statements"),
    path("verify/fund/<str:code>/<str:start>/<str:end>/", fund_views.verify_fund, name="verify_fund"),
    path("me/fund/", fund_views.my_fund, name="my_fund"),
    path("fund/", fund_views.workspace, name="fund_workspace"),
    path("fund/estates/<int:estate_id>/", fund_views.estate_fund, name="fund_estate"),
    path("fund/estates/<int:estate_id>/units/<int:unit_id>/", fund_views.unit_fund, name="fund_unit"),
    path("fund/estates/<int:estate_id>/uses/new/", fund_views.use_new, name="fund_use_new"),
    path("fund/uses/<int:pk>/", fund_views.use_detail, name="fund_use"),
    path("fund/uses/<int:pk>/split.pdf", fund_views.use_split_pdf, name="fund_use_split"),
    path("fund/uses/<int:pk>/invoice/", fund_views.use_invoice, name="fund_use_invoice"),
]
