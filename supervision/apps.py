from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    """Floor 7: the district's view across the work of floor 6 (fees, the fund, mediation,
    cases): the property companies' assessment (信用评价) and the staff dashboards."""

    name = "supervision"
    verbose_name = _("行业监管")
    default_auto_field = "django.db.models.BigAutoField"
