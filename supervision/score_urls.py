from django.urls import path

from . import score_views

urlpatterns = [
    path("companies/scores/", score_views.scores, name="scores"),
    path("companies/scores/publish/<int:district_pk>/", score_views.publish, name="publish"),
    path("companies/<int:pk>/score/", score_views.company_score, name="company_score"),
    path("companies/<int:pk>/inspections/<int:district_pk>/", score_views.inspect, name="inspect"),
    path("companies/scores/<int:score_pk>/objection/", score_views.file_objection, name="file_objection"),
    path("companies/objections/<int:pk>/decide/", score_views.decide_objection, name="decide_objection"),
    path("companies/ranking/<int:year>/", score_views.ranking, name="ranking"),
]
