"""The API's addresses: the versioned endpoints under /api/v1/, the schema and its readable page,
and the district administrator's pages for registering clients."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("api/", include("api.read_urls")),
    path("api/", include("api.case_urls")),
    path("", include("api.client_urls")),
]
