"""cms follows the registry: pages for new or renamed territory, editors' groups for role changes;
and the public pages' cache (community.pagecache) follows what they show."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished, post_page_move

from community import pagecache
from community.models import (
    Community,
    District,
    Estate,
    ManagementState,
    PropertyCompany,
    RuleSet,
    SelfManagementPeriod,
    ServiceContract,
)
from community.signals import management_changed, roles_changed

from . import permissions, services
from .models import NoticeCategory, NoticePage, ScopePage, page_scope


@receiver(post_save, sender=District)
@receiver(post_save, sender=Community)
@receiver(post_save, sender=Estate)
def keep_page_in_step(sender, instance, raw=False, **kwargs):
    if not raw:
        services.ensure_page(instance)


@receiver(page_published)
@receiver(page_unpublished)
def refresh_public_pages(sender, instance, **kwargs):
    """A notice published, edited or withdrawn changes its own page and the list it is on; a
    district, community or estate page (new, renamed, its introduction edited) changes the lists
    and the crumbs across the site."""
    if isinstance(instance, NoticePage):
        pagecache.changed(page_scope(instance.get_parent().pk))
    elif isinstance(instance, ScopePage):
        pagecache.changed(pagecache.SITE)


@receiver(post_page_move)
@receiver(post_delete, sender=NoticePage)
def refresh_site(sender, **kwargs):
    """A page moved or a notice deleted: rare, so the whole site is read again."""
    pagecache.changed(pagecache.SITE)


@receiver(post_save, sender=District)
@receiver(post_save, sender=Community)
@receiver(post_save, sender=Estate)
@receiver(post_save, sender=RuleSet)
def refresh_after_registry(sender, instance, raw=False, **kwargs):
    """The registry's facts (names in the lists and crumbs, an estate's own facts) and the rule
    sets (what is published) are shown site-wide; they change rarely, so the whole site is read again."""
    if not raw:
        pagecache.changed(pagecache.SITE)


def _estate_scope(record):
    return pagecache.scope_of(Estate, record.estate_id)


def _served_estates(company):
    return [pagecache.scope_of(Estate, pk) for pk in company.contracts.values_list("estate_id", flat=True)]


# An estate page's contact card names the company serving it, with its phone.
pagecache.watch(ServiceContract, _estate_scope)
pagecache.watch(SelfManagementPeriod, _estate_scope)
pagecache.watch(PropertyCompany, _served_estates)


@receiver(page_published, sender=NoticePage)
def tell_owners(sender, instance, **kwargs):
    """A notice going live (from a service or the Wagtail editor) is told to its owners, once."""
    services.tell_owners(instance)


@receiver(roles_changed)
def follow_roles(sender, user, **kwargs):
    permissions.sync_user(user)


@receiver(management_changed)
def follow_management(sender, estate, **kwargs):
    permissions.sync_users_of_estate(estate)


@receiver(management_changed)
def announce_new_company(sender, estate, contract=None, previous_state=None, event="", **kwargs):
    """An estate without a manager (无物业) comes under a company: draft the public notice,
    once per contract, for staff to review and publish. Renewals and changes of company
    (company → company) and the end of self-management draft nothing."""
    if event != "signed" or previous_state != ManagementState.NONE:
        return
    source = f"community.ServiceContract:{contract.pk}"
    if NoticePage.objects.filter(source=source).exists():
        return
    company = contract.company
    phone = f"联系电话：{company.phone}。\n" if company.phone else ""
    services.draft_notice(
        estate=estate,
        category=NoticeCategory.GENERAL,
        title=f"{estate.name}引入物业服务企业公告",
        body=(
            f"{estate.name}此前无物业服务企业管理。经依法选聘，自 {contract.starts_on:%Y年%m月%d日} 起，"
            f"由{company.name}（统一社会信用代码 {company.uscc}）为本小区提供物业服务。\n"
            f"合同期限：{contract.starts_on:%Y年%m月%d日} 至 {contract.ends_on:%Y年%m月%d日}；"
            f"收费方式：{contract.get_mode_display()}。\n"
            f"{phone}"
            "业主如对物业服务有意见或建议，可向物业服务企业、业主委员会或社区反映。"
        ),
        issuer=estate.grid.community.name,
        source=source,
    )
