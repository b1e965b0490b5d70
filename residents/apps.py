from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("业主账号")
    default_auto_field = "django.db.models.BigAutoField"
