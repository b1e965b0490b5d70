from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("社区登记")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import identity, schedule  # noqa: F401  (identity connects its signal receivers)

        # After every migrate: the schedule's missing rows (community/schedule.py), once per run.
        post_migrate.connect(schedule.install, sender=self, dispatch_uid="community.schedule")
