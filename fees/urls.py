from django.urls import path

from . import views

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
    path("fees/estates/<int:estate_id>/expenditures/", views.expenditures, name="expenditures"),
    path("fees/expenditures/<int:pk>/", views.expenditure, name="expenditure"),
    path("fees/expenditures/<int:pk>/attachment/", views.attachment, name="attachment"),
    path("fees/letters/<int:pk>.pdf", views.letter_pdf, name="letter_pdf"),
]
