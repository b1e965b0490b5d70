from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("社区登记")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_migrate

        from . import audit, identity, schedule  # noqa: F401  (identity connects its signal receivers)

        # After every migrate: the schedule's missing rows (community/schedule.py), once per run.
        post_migrate.connect(schedule.install, sender=self, dispatch_uid="community.schedule")
        # The audit trail of sign-in, sign-out and failed sign-in (community/audit.py).
        user_logged_in.connect(audit.on_logged_in, dispatch_uid="community.audit.login")
        user_logged_out.connect(audit.on_logged_out, dispatch_uid="community.audit.logout")
        user_login_failed.connect(audit.on_login_failed, dispatch_uid="community.audit.login_failed")
