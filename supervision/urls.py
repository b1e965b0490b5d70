from django.urls import include, path

app_name = "supervision"

# Two rooms of the app, each with its own URL list: the company assessment and the dashboards.
urlpatterns = [
    path("", include("supervision.score_urls")),
    path("", include("supervision.dashboard_urls")),
]
