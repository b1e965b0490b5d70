"""The public site: a page per district, community and estate, and the notices under them.

District, community and estate pages are created and renamed by
``cms.services.sync_site_tree`` from the registry, never by hand. Their slugs
are the registry codes, so a renamed estate keeps its address and every share
link to its notices keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import BooleanField, Case, Count, F, Q, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from community import pagecache
from community.models import Community, District, Estate, ManagementState
from community.privacy import mask_text
from community.rules import rules_for
from community.tenure.selectors import contract_in_force

from . import marks, panels
from .cjk import index_text

NOTICES_PER_PAGE = 10
NOTICES_PER_CATEGORY = 3  # on an estate's page, before the "more" link to that category's list
# Hotlines every estate page gives, by their rule (community.rules): the city's service line,
# and the price bureau's for fees.
HOTLINES = (
    ("service_hotline", _("市民热线"), _("市民服务热线")),
    ("price_hotline", _("价格举报"), _("物业收费投诉")),
)
BODY_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link", "hr"]


class NoticeKind(models.TextChoices):
    ANNOUNCEMENT = "announcement", _("公告")
    PUBLICITY = "publicity", _("公示")


class NoticeCategory(models.TextChoices):
    VOTES = "votes", _("表决")
    FINANCE = "finance", _("财务")
    FUND = "fund", _("维修资金")
    COMMITTEE = "committee", _("业委会")
    MEDIATION = "mediation", _("调解")
    GENERAL = "general", _("综合")


def notices_under(page: Page, *, today: date | None = None):
    """Live notices directly under ``page``: those under publicity (or without an end) first, then the archive."""
    today = today or timezone.localdate()
    return (
        NoticePage.objects.live()
        .child_of(page)
        .annotate(
            is_current=Case(
                When(Q(publicity_end__isnull=True) | Q(publicity_end__gte=today), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-is_current", "-first_published_at", "-pk")
    )


def chosen_category(request) -> str:
    """The notice category a list is filtered by (``?category=``), or "" for all of them."""
    value = request.GET.get("category", "")
    return value if value in NoticeCategory.values else ""


@dataclass
class NoticeGroup:
    """The newest notices of one category under a page (current ones first), and how many it has."""

    category: str
    label: str
    notices: list
    total: int

    @property
    def more(self) -> bool:
        return self.total > len(self.notices)


def notices_by_category(page: Page, *, per_category: int = NOTICES_PER_CATEGORY, today: date | None = None):
    """Live notices under ``page`` grouped by category, in the categories' order, each with at
    most ``per_category`` of them (ordered as ``notices_under``) and its total. One query,
    however many notices."""
    ordered = [F("is_current").desc(), F("first_published_at").desc(), F("pk").desc()]
    rows = (
        notices_under(page, today=today)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("category")], order_by=ordered),
            in_category=Window(Count("pk"), partition_by=[F("category")]),
        )
        .filter(rank__lte=per_category)
    )
    found: dict[str, NoticeGroup] = {}
    for notice in marks.mark(rows):  # a decision a court revoked says so
        group = found.get(notice.category)
        if group is None:
            group = found[notice.category] = NoticeGroup(notice.category, notice.get_category_display(), [], 0)
        group.notices.append(notice)
        group.total = notice.in_category
    return [found[value] for value in NoticeCategory.values if value in found]


def page_scope(page_id: int) -> str:
    """The cache scope of a page's own content and the notices listed under it (community.pagecache)."""
    return f"page:{page_id}"


def search_notices(root: Page, terms: list[str]):
    """Live notices under ``root`` holding every one of ``terms`` (cms.cjk.query_terms), by relevance."""
    if not terms:
        return NoticePage.objects.none()
    return NoticePage.objects.live().descendant_of(root).search(" ".join(terms), operator="and")


class ScopePage(Page):
    """A page that stands for a registry object; only the site-tree sync creates one."""

    is_creatable = False
    intro = RichTextField(_("简介"), blank=True, features=BODY_FEATURES)
    # The title is the registry's name (renamed there, followed here), so it is shown read-only.
    content_panels = [FieldPanel("title", read_only=True), FieldPanel("intro")]
    promote_panels = []

    class Meta:
        abstract = True

    @property
    def registry_object(self):
        """The district, community or estate this page stands for."""
        return getattr(self, self.registry_field)

    def serve(self, request, *args, **kwargs):
        # Public to anyone: its own text and notices, and what the floors above show of its registry object.
        registry = pagecache.scope_of(
            self._meta.get_field(self.registry_field).related_model, getattr(self, f"{self.registry_field}_id")
        )
        pagecache.public(request, page_scope(self.pk), registry)
        return super().serve(request, *args, **kwargs)

    def notice_page(self, request):
        notices = notices_under(self)
        if category := chosen_category(request):
            notices = notices.filter(category=category)
        page = Paginator(notices, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = marks.mark(page.object_list)  # a decision a court revoked says so
        return page

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(self.notice_context(request))
        context["today"] = timezone.localdate()
        context["panels"] = panels.panels_for(self.registry_object, request)  # the floors above add theirs
        return context

    def notice_context(self, request) -> dict:
        """The notices the page lists: a page of them, of one category when ``?category=`` says so."""
        category = chosen_category(request)
        return {
            "notices": self.notice_page(request),
            "category": category,
            "category_label": NoticeCategory(category).label if category else "",
            "querystring": f"category={category}" if category else "",
        }


class DistrictPage(ScopePage):
    district = models.OneToOneField(District, verbose_name=_("区"), on_delete=models.PROTECT, related_name="page")
    registry_field = "district"
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.CommunityPage", "cms.NoticePage"]

    class Meta:
        verbose_name = _("区首页")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["communities"] = (
            CommunityPage.objects.live().child_of(self).select_related("community__street").order_by("community__code")
        )
        return context


class CommunityPage(ScopePage):
    community = models.OneToOneField(Community, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="page")
    registry_field = "community"
    parent_page_types = ["cms.DistrictPage"]
    subpage_types = ["cms.EstatePage", "cms.NoticePage"]

    class Meta:
        verbose_name = _("社区页面")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["estates"] = EstatePage.objects.live().child_of(self).order_by("title")
        return context


class EstatePage(ScopePage):
    estate = models.OneToOneField(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="page")
    registry_field = "estate"
    parent_page_types = ["cms.CommunityPage"]
    subpage_types = ["cms.NoticePage"]

    class Meta:
        verbose_name = _("小区页面")

    def notice_context(self, request) -> dict:
        """Without a category chosen, the estate's notices grouped by category, a few of each,
        each group linking to the full list of its category; with one, that list."""
        if chosen_category(request):
            return super().notice_context(request)
        return {"groups": notices_by_category(self), "category": ""}

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["contact"] = self.contact_card()
        return context

    def contact_card(self) -> dict:
        """Whom an owner or a visitor can turn to: the estate's address, the company serving it
        under the contract in force (with its phone), the contacts the floors above add (the
        owners' committee), the community, and the city's hotlines. Three queries."""
        estate = (
            Estate.objects.with_management_state()
            .select_related("grid__community__street__district__rule_set")
            .get(pk=self.estate_id)
        )
        rules = rules_for(estate)
        contract = contract_in_force(estate) if estate.management_state == ManagementState.COMPANY else None
        return {
            "address": estate.address,
            "company": contract.company if contract else None,
            "management": ManagementState(estate.management_state),
            "others": panels.contacts_for(estate),
            "community": estate.grid.community,
            "hotlines": [(getattr(rules, rule), label, use) for rule, label, use in HOTLINES],
        }


class NoticePage(Page):
    kind = models.CharField(_("类型"), max_length=20, choices=NoticeKind.choices, default=NoticeKind.ANNOUNCEMENT)
    category = models.CharField(
        _("类别"), max_length=20, choices=NoticeCategory.choices, default=NoticeCategory.GENERAL
    )
    body = RichTextField(_("正文"), features=BODY_FEATURES)
    publicity_start = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_end = models.DateField(_("公示结束"), null=True, blank=True, help_text=_("含当日。公示须填写起止日期。"))
    issuer = models.CharField(_("发布单位"), max_length=100)
    source = models.CharField(
        _("来源"),
        max_length=100,
        blank=True,
        editable=False,
        help_text=_("自动起草时记录产生它的记录，如 fees.Disclosure:12。"),
    )

    parent_page_types = ["cms.DistrictPage", "cms.CommunityPage", "cms.EstatePage"]
    subpage_types = []
    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("kind"), FieldPanel("category"), FieldPanel("issuer")], heading=_("公告信息")),
        MultiFieldPanel([FieldPanel("publicity_start"), FieldPanel("publicity_end")], heading=_("公示期")),
        FieldPanel("body"),
        InlinePanel("attachments", label=_("附件（PDF）")),
    ]
    search_fields = Page.search_fields + [index.SearchField("search_text")]

    class Meta:
        verbose_name = _("公告")
        verbose_name_plural = _("公告")
        constraints = [
            models.CheckConstraint(
                condition=Q(publicity_end__isnull=True)
                | Q(publicity_start__isnull=False, publicity_end__gte=models.F("publicity_start")),
                name="notice_publicity_period_in_order",
            )
        ]

    def clean(self):
        super().clean()
        if self.kind == NoticeKind.PUBLICITY and not (self.publicity_start and self.publicity_end):
            raise ValidationError({"publicity_end": _("公示须填写公示开始和结束日期。")})
        if self.publicity_end and not self.publicity_start:
            raise ValidationError({"publicity_start": _("填写了结束日期时须填写开始日期。")})
        if self.publicity_start and self.publicity_end and self.publicity_end < self.publicity_start:
            raise ValidationError({"publicity_end": _("公示结束日期不能早于开始日期。")})
        # Whoever writes a notice, mobile and ID numbers never reach the public page.
        self.title = mask_text(self.title)
        self.body = mask_text(self.body)

    def search_text(self) -> str:
        return index_text(f"{self.title} {strip_tags(self.body)} {self.issuer}")

    @property
    def publicity_days(self) -> int | None:
        if self.publicity_start and self.publicity_end:
            return (self.publicity_end - self.publicity_start).days + 1
        return None

    def remaining_days(self, today: date | None = None) -> int | None:
        """Days left in the period, today included; None outside it."""
        today = today or timezone.localdate()
        if self.publicity_start and self.publicity_end and self.publicity_start <= today <= self.publicity_end:
            return (self.publicity_end - today).days + 1
        return None

    def is_archived(self, today: date | None = None) -> bool:
        return bool(self.publicity_end and self.publicity_end < (today or timezone.localdate()))

    def serve(self, request, *args, **kwargs):
        # Public to anyone; it changes with the page it is listed on (published, edited, withdrawn).
        pagecache.public(request, page_scope(self.get_parent().pk))
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["today"] = timezone.localdate()
        context["share_url"] = request.build_absolute_uri(self.url)
        context["attachment_list"] = self.attachments.select_related("document")
        context["mark"] = marks.marks([self.pk]).get(self.pk, "")
        return context


class NoticeAttachment(Orderable):
    notice = ParentalKey(NoticePage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(
        "wagtaildocs.Document", verbose_name=_("文件"), on_delete=models.PROTECT, related_name="+"
    )
    panels = [FieldPanel("document")]

    class Meta(Orderable.Meta):
        verbose_name = _("附件")
