from django.urls import path

from . import views

app_name = "mediation"

urlpatterns = [
    path("mediation/", views.workspace, name="workspace"),
    path("mediation/rooms/new/", views.room_new, name="room_new"),
    path("mediation/rooms/<int:pk>/", views.room, name="room"),
    path("mediation/rooms/<int:room_id>/cases/new/", views.case_new, name="case_new"),
    path("mediation/communities/<int:community_id>/directory/", views.publish_directory, name="publish_directory"),
    path("mediation/cases/<int:pk>/", views.case, name="case"),
    path("mediation/cases/<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("mediation/statistics/", views.statistics, name="statistics"),
    path("me/mediation/", views.my_cases, name="my_cases"),
    path("verify/agreement/<str:number>/", views.verify, name="verify"),
]
