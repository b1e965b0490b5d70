from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from community import views as community_views

admin.site.site_header = admin.site.site_title = _("物业治理 · 管理后台")
admin.site.index_title = _("登记与规则")

urlpatterns = [
    path("", community_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("community.urls")),
]
