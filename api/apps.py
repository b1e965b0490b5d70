from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """Floor 8: the interface with other systems. The versioned REST API at /api/v1/ for the
    city platform (一网统管): registry facts and aggregates, cases both ways on the one grid flow,
    registered clients with tokens, scope, rate limits and an audit line per call, incremental
    sync with tombstones, signed webhooks through the job queue."""

    name = "api"
    verbose_name = _("数据接口")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # grid's case changes reach the clients' webhooks (grid does not import the API), and
        # deleting a synced row leaves a tombstone for the clients' incremental sync.
        from . import schema, sync, webhooks  # noqa: F401  (schema registers the bearer scheme)

        webhooks.connect()
        sync.connect()
