from django.urls import path

from . import assembly_views, document_views, steward_views
from . import views as committee_views
from .decisions import views as decision_views
from .exams import views
from .votes import proxy_views
from .votes import views as vote_views

app_name = "committees"

urlpatterns = [
    path("exam/", views.my_exams, name="my_exams"),
    path("exam/sessions/<int:session_id>/start/", views.start, name="start"),
    path("exam/attempts/<int:attempt_id>/q/<int:index>/", views.question, name="question"),
    path("exam/attempts/<int:attempt_id>/submit/", views.confirm, name="confirm"),
    path("exam/attempts/<int:attempt_id>/", views.result, name="result"),
    path("exam/certificates/<str:number>.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("exam/staff/", views.staff_sessions, name="staff_sessions"),
    path("exam/staff/<int:session_id>/", views.staff_results, name="staff_results"),
    path("committees/", committee_views.queue, name="queue"),
    path("committees/<int:pk>/", committee_views.detail, name="committee"),
    path("committees/<int:pk>/act/", committee_views.act, name="committee_act"),
    path("committees/meetings/<int:pk>/", committee_views.meeting, name="meeting"),
    path("me/assembly/", assembly_views.my_assembly, name="my_assembly"),
    path("me/assembly/act/", assembly_views.my_assembly_act, name="my_assembly_act"),
    path("estates/<int:estate_id>/assembly/", assembly_views.estate_assembly, name="assembly"),
    path("estates/<int:estate_id>/assembly/lists/<int:pk>/", assembly_views.signed_list, name="assembly_list"),
    path("me/confirmations/", committee_views.confirmations, name="confirmations"),
    path("estates/<int:estate_id>/votes/new/", vote_views.convene, name="convene"),
    path("votes/<int:vote_id>/paper/", vote_views.paper, name="paper"),
    path("votes/", vote_views.my_votes, name="my_votes"),
    path("votes/manage/", vote_views.manage, name="manage_votes"),
    path("votes/<int:vote_id>/", vote_views.ballot, name="ballot"),
    path("votes/<int:vote_id>/turnout/", vote_views.turnout, name="turnout"),
    path("votes/<int:vote_id>/service/", vote_views.service, name="service"),
    path("votes/<int:vote_id>/result.pdf", vote_views.result_pdf, name="result_pdf"),
    path("votes/<int:vote_id>/service/<int:pk>/photo/", vote_views.service_photo, name="service_photo"),
    path("votes/<int:vote_id>/proxies/", proxy_views.vote_proxies, name="vote_proxies"),
    path("votes/<int:vote_id>/proxies/<int:pk>/form/", proxy_views.vote_proxy_form, name="vote_proxy_form"),
    path("me/proxies/", proxy_views.my_proxies, name="my_proxies"),
    path("me/proxies/<int:pk>/form/", proxy_views.proxy_form, name="proxy_form"),
    path("estates/<int:estate_id>/decisions/", decision_views.decisions, name="decisions"),
    path("estates/<int:estate_id>/contract-votes/", vote_views.contract_votes, name="contract_votes"),
    path("me/documents/", document_views.my_documents, name="my_documents"),
    path("estates/<int:estate_id>/documents/", document_views.estate_documents, name="estate_documents"),
    path("estate-documents/<str:source>/<int:pk>/", document_views.document, name="document"),
    path("estates/<int:estate_id>/branch/", steward_views.branch, name="branch"),
    path("steward/", steward_views.overview, name="steward"),
    path("steward/estates/", steward_views.estates, name="steward_estates"),
    path("verify/certificate/<str:number>/", views.verify, name="verify_form"),
    path("verify/certificate/<str:number>/<str:fp>/", views.verify, name="verify"),
]
