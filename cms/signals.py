"""cms follows the registry: pages for new or renamed territory, editors' groups for role changes."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from community.models import Community, District, Estate
from community.signals import management_changed, roles_changed

from . import permissions, services


@receiver(post_save, sender=District)
@receiver(post_save, sender=Community)
@receiver(post_save, sender=Estate)
def keep_page_in_step(sender, instance, raw=False, **kwargs):
    if not raw:
        services.ensure_page(instance)


@receiver(roles_changed)
def follow_roles(sender, user, **kwargs):
    permissions.sync_user(user)


@receiver(management_changed)
def follow_management(sender, estate, **kwargs):
    permissions.sync_users_of_estate(estate)
