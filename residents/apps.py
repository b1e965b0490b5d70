from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("业主账号")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from community.import_services import register_member_import

        from . import import_members

        register_member_import(plan=import_members.plan, write=import_members.write)
