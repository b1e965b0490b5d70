from django.urls import path

from . import views, workspace_views

app_name = "community"

urlpatterns = [
    path("estates/", views.directory, name="directory"),
    path("estates/<int:pk>/", views.estate_detail, name="estate_detail"),
    path("me/units/", views.my_units, name="my_units"),
    # the registry workspace: spreadsheet import and search
    path("registry/import/", workspace_views.import_upload, name="import"),
    path("registry/import/confirm/", workspace_views.import_confirm, name="import_confirm"),
    path("registry/import/template.xlsx", workspace_views.import_template, name="import_template"),
    path("registry/import/sample.xlsx", workspace_views.import_sample, name="import_sample"),
    path("registry/search/", workspace_views.search, name="search"),
]
