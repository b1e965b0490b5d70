from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms import views as cms_views
from community import identity_views
from community import views as community_views

admin.site.site_header = admin.site.site_title = _("物业治理 · 管理后台")
admin.site.index_title = _("登记与规则")

urlpatterns = [
    path("workspace/", community_views.home, name="home"),
    path("login/", identity_views.LoginView.as_view(), name="login"),
    path("login/otp/", identity_views.otp_verify, name="otp_verify"),
    path("login/otp/setup/", identity_views.otp_setup, name="otp_setup"),
    path("login/otp/codes/", identity_views.otp_codes, name="otp_codes"),
    path("login/password/", identity_views.PasswordChangeView.as_view(), name="password_change"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language switch carries no CSRF token, so an anonymous public page holds nothing of one
    # visitor and can be shared from the cache (community/pagecache.py); switching a language is harmless.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", cms_views.search, name="search"),
    path("", include("community.urls")),
    path("", include("notifications.urls")),
    path("", include("residents.urls")),
    path("", include("committees.urls")),
    path("", include("fees.urls")),
    path("", include("mediation.urls")),
    path("", include("grid.urls")),
    path("", include("supervision.urls")),
    path("", include("api.urls")),
    # The public site (district, community, estate and notice pages) takes every other address.
    path("", include(wagtail_urls)),
]
