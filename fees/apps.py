from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeesConfig(AppConfig):
    name = "fees"
    verbose_name = _("物业费与收支")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from community import access

        from .models import (
            Bill,
            BillingRun,
            Expenditure,
            FeeSchedule,
            FundAccount,
            FundUse,
            LedgerEntry,
            ParkingSpace,
            Payment,
            Statement,
            SubAccount,
        )

        for model in (
            Bill,
            BillingRun,
            Expenditure,
            FeeSchedule,
            LedgerEntry,
            ParkingSpace,
            Payment,
            Statement,
            FundAccount,
            FundUse,
        ):
            access.register_child(model, "estate")
        access.register_child(SubAccount, "account")
