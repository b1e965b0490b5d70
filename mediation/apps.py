from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("物业纠纷调解")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from community import access
        from community.models import Role

        from .models import Case, MediatorPost, Room

        # A room hangs under its community, and a case under its room, so that
        # community staff reach the rooms and cases of their community.
        access.register_child(Room, "community")
        access.register_child(MediatorPost, "room")
        access.register_child(Case, "room")
        # A mediator's role is held on the room they serve, not on a registry node.
        access.register_role_scope(Role.MEDIATOR, Room)

        from community.backup import register_fingerprint_check

        from .selectors import agreement_fingerprints

        register_fingerprint_check(_("调解协议"), agreement_fingerprints)
