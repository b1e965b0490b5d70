from django.urls import path

from . import audit_views, duty_views, identity_views, views, workspace_views
from .tenure import views as tenure_views

app_name = "community"

urlpatterns = [
    path("estates/", views.directory, name="directory"),
    path("estates/<int:pk>/", views.estate_detail, name="estate_detail"),
    path("me/units/", views.my_units, name="my_units"),
    path("me/security/", identity_views.my_security, name="my_security"),
    path("me/security/codes/", identity_views.my_security_codes, name="my_security_codes"),
    path("me/security/off/", identity_views.my_security_off, name="my_security_off"),
    path("accounts/locks/", identity_views.locks, name="locks"),
    path("duties/", duty_views.duty_list, name="duties"),
    path("jobs/", views.my_jobs, name="jobs"),
    path("jobs/<int:pk>/", views.job_status, name="job"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
    # the registry workspace: spreadsheet import and search
    path("registry/import/", workspace_views.import_upload, name="import"),
    path("registry/import/confirm/", workspace_views.import_confirm, name="import_confirm"),
    path("registry/import/cancel/", workspace_views.import_cancel, name="import_cancel"),
    path("registry/import/template.xlsx", workspace_views.import_template, name="import_template"),
    path("registry/import/sample.xlsx", workspace_views.import_sample, name="import_sample"),
    path("registry/import/hc-sample.xlsx", workspace_views.import_hc_sample, name="import_hc_sample"),
    path("registry/search/", workspace_views.search, name="search"),
    # the audit trail (安全审计): district administrators search and export it
    path("audit/", audit_views.audit_list, name="audit"),
    path("audit/export.xlsx", audit_views.audit_export, name="audit_export"),
    # tenure (issue 10): estates without a manager, and the estate page's management forms
    path("estates/unmanaged/", tenure_views.unmanaged, name="unmanaged"),
    path("estates/<int:pk>/management/sign/", tenure_views.sign, name="management_sign"),
    path(
        "estates/<int:pk>/management/contracts/<int:contract_pk>/renew/",
        tenure_views.renew,
        name="management_renew",
    ),
    path(
        "estates/<int:pk>/management/contracts/<int:contract_pk>/terminate/",
        tenure_views.terminate,
        name="management_terminate",
    ),
    path("estates/<int:pk>/management/self/start/", tenure_views.start_self, name="management_self_start"),
    path("estates/<int:pk>/management/self/end/", tenure_views.end_self, name="management_self_end"),
    path("estates/<int:pk>/management/unmanaged/", tenure_views.mark_unmanaged, name="management_unmanaged"),
]
