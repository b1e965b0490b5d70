from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    name = "grid"
    verbose_name = _("网格案件")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from community import access
        from community.models import Role

        from .models import GridCase, HandlingUnit

        # A case hangs under its estate, so whoever holds a permission over the estate's
        # grid, community, street or district holds it over the case.
        access.register_child(GridCase, "estate")
        # ... and under the handling unit it was dispatched to, which hangs under its property
        # company: a unit's staff (their role on the unit) and a company's staff (their role on
        # the company) reach the cases handed to them, wherever the estate lies.
        access.register_link(GridCase, "handling_unit")
        access.register_link(HandlingUnit, "company")
        # A utility's or a department's staff hold their role on their handling unit.
        access.register_role_scope(Role.UNIT_STAFF, HandlingUnit)
        # A handling unit hangs under its district: the district's administrators manage it.
        access.register_child(HandlingUnit, "district")

        from cms.panels import register_panel
        from community.models import Estate

        from .public import estate_panel

        # An estate's public page shows its residents' requests in figures (no names).
        register_panel(Estate, estate_panel)

        from community import pagecache

        # ... so a case reported or moved makes that page stale (community.pagecache).
        pagecache.watch(GridCase, lambda case: pagecache.scope_of(Estate, case.estate_id))
