"""The one door to the public site.

* ``sync_site_tree`` keeps a page per district, community and estate in step
  with the registry (created, renamed, moved); ``ensure_page`` does it for one.
* ``draft_notice`` is how every other app publishes: it writes an unpublished
  draft, with personal data masked, for a person to review and publish.
* ``publish_notice`` publishes a draft for an actor allowed to.
* ``tell_owners`` tells the owners under a notice that it is out (on Wagtail's
  ``page_published``, so a notice published in the Wagtail editor is told too).

``cms`` imports ``community`` only; the apps that publish call in here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page, Site

from community import access, uploads
from community.legaltime import last_day_after_days
from community.models import Community, District, Estate, Owner, Ownership
from community.privacy import mask_text
from community.selectors import people_of
from notifications.models import Event
from notifications.services import notify

from .models import CommunityPage, DistrictPage, EstatePage, NoticeCategory, NoticeKind, NoticePage, ScopePage

NOT_ALLOWED = _("您没有权限在此发布或编辑公告。")
NOT_A_PDF = _("附件“%(name)s”不是 PDF 文件。")
BAD_CATEGORY = _("公告类别“%(category)s”无效。")
ATTACHMENT_COLLECTION = "公告附件"


# --------------------------------------------------------------------------- site tree


def _slug(code: str) -> str:
    return code.lower()


def _place(model, field: str, obj, parent: Page, title: str, slug: str) -> Page:
    """Find or create ``obj``'s page under ``parent``; fix its title and its place if they drifted."""
    page = model.objects.filter(**{field: obj}).first()
    if page is None:
        page = model(title=title, draft_title=title, slug=slug, **{field: obj})
        parent.add_child(instance=page)
        return page
    if page.title != title:
        page.title = page.draft_title = title
        page.save(update_fields=["title", "draft_title"], clean=False)
    if page.get_parent().pk != parent.pk:
        page.move(parent, pos="last-child")
        page.refresh_from_db()
    return page


def ensure_page(obj) -> ScopePage:
    """The public page of a district, community or estate, created or repaired as needed."""
    if isinstance(obj, District):
        root = Page.get_first_root_node()
        page = _place(DistrictPage, "district", obj, root, obj.name, _slug(obj.code))
        _ensure_default_site(page)
        return page
    if isinstance(obj, Community):
        parent = ensure_page(obj.street.district)
        return _place(CommunityPage, "community", obj, parent, obj.name, _slug(obj.code))
    if isinstance(obj, Estate):
        parent = ensure_page(obj.grid.community)
        return _place(EstatePage, "estate", obj, parent, obj.name, _slug(obj.code))
    raise TypeError(f"no public page for {type(obj).__name__}")


def _ensure_default_site(district_page: DistrictPage) -> None:
    """The first district's page is the site's home page (one district per site)."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=district_page, is_default_site=True, site_name=district_page.title
        )
        return
    if not isinstance(site.root_page.specific, DistrictPage):
        # A new install points at Wagtail's own welcome page: replace it.
        welcome_page = site.root_page
        site.root_page = DistrictPage.objects.order_by("district__code").first()
        site.site_name = site.root_page.title
        site.save()
        if type(welcome_page.specific) is Page and not welcome_page.get_children().exists():
            welcome_page.delete()


@transaction.atomic
def sync_site_tree(*, progress=None) -> dict[str, int]:
    """Make the page tree match the registry: one page per district, community and estate."""
    progress = progress or (lambda iterable, **kw: iterable)
    before = {m.__name__: m.objects.count() for m in (DistrictPage, CommunityPage, EstatePage)}
    for district in District.objects.order_by("code"):
        ensure_page(district)
    for community in progress(Community.objects.select_related("street__district").order_by("code"), desc="社区"):
        ensure_page(community)
    for estate in progress(
        Estate.objects.select_related("grid__community__street__district").order_by("code"), desc="小区"
    ):
        ensure_page(estate)
    return {
        name: model.objects.count() - before[name]
        for name, model in (
            ("DistrictPage", DistrictPage),
            ("CommunityPage", CommunityPage),
            ("EstatePage", EstatePage),
        )
    }


def scope_of(page: Page):
    """The registry object (district, community or estate) whose page holds ``page``."""
    for ancestor in reversed(page.get_ancestors(inclusive=True).specific()):
        if isinstance(ancestor, ScopePage):
            return ancestor.registry_object
    return None


def may(user, perm: str, page: Page) -> bool:
    """Whether ``user`` may ``perm`` (draft_notices / publish_notices) under ``page``, per community.access."""
    scope = scope_of(page)
    return scope is not None and access.can(user, perm, scope)


# --------------------------------------------------------------------------- notices


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())


def _documents(attachments: Iterable, *, title_prefix: str):
    Document = get_document_model()
    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name=ATTACHMENT_COLLECTION).first()
    if collection is None:
        collection = root.add_child(name=ATTACHMENT_COLLECTION)
    documents = []
    for name, content in attachments:
        if not name.lower().endswith(".pdf") or uploads.detect(bytes(content)) != uploads.PDF:
            raise ValidationError(NOT_A_PDF, params={"name": name})
        document = Document(title=f"{title_prefix} {name}", collection=collection)
        document.file.save(name, ContentFile(content), save=False)
        document.save()
        documents.append(document)
    return documents


@transaction.atomic
def draft_notice(
    *,
    estate: Estate | None = None,
    community: Community | None = None,
    district: District | None = None,
    category: str,
    title: str,
    body: str,
    source: str | None = None,
    publicity_days: int | None = None,
    attachments: Iterable[tuple[str, bytes]] = (),
    issuer: str | None = None,
    people: Iterable[str] = (),
) -> NoticePage:
    """An unpublished notice under the estate's page (or, given ``community`` or ``district``
    instead, that page), for a person to review and publish.

    ``body`` is plain text, one paragraph a line. Every ID number and mobile
    number in the title and body is masked, and so is the name of every person
    who holds or held a unit in the estate, and every name in ``people``.
    With ``publicity_days`` it is a 公示 running from today for that many days
    (today counted); without, a 公告. Attachments are (file name, PDF bytes).
    """
    if category not in NoticeCategory.values:
        raise ValidationError(BAD_CATEGORY, params={"category": category})
    given = [s for s in (estate, community, district) if s is not None]
    if len(given) != 1:
        raise TypeError("draft_notice needs exactly one of estate=, community= and district=")
    scope = given[0]
    parent = ensure_page(scope)
    # A district's notice (the companies' ranking) names organisations; ``people`` are still masked.
    names = (people_of(scope) if district is None else []) + [p for p in people if p]
    today = timezone.localdate()
    notice = NoticePage(
        title=mask_text(title, names),
        kind=NoticeKind.PUBLICITY if publicity_days else NoticeKind.ANNOUNCEMENT,
        category=category,
        body=mask_text(_paragraphs(body), names),
        issuer=issuer or scope.name,
        source=source or "",
        publicity_start=today if publicity_days else None,
        publicity_end=last_day_after_days(today, publicity_days - 1) if publicity_days else None,
        slug=f"{today:%Y%m%d}-{NoticePage.objects.child_of(parent).count() + 1}",
        live=False,
    )
    notice.draft_title = notice.title
    parent.add_child(instance=notice)
    for document in _documents(attachments, title_prefix=notice.title):
        notice.attachments.create(document=document)
    notice.save_revision()
    return notice


@transaction.atomic
def publish_notice(*, actor, notice: NoticePage) -> NoticePage:
    """Publish the latest revision of a notice; ``actor=None`` is the system (seed_demo)."""
    if actor is not None and not may(actor, access.PUBLISH_NOTICES, notice):
        raise PermissionDenied(NOT_ALLOWED)
    revision = notice.latest_revision or notice.save_revision(user=actor)
    revision.publish(user=actor)
    notice.refresh_from_db()
    return notice


# --------------------------------------------------------------------------- telling the owners


def notice_audience(notice: NoticePage):
    """The owners a published notice is told to: the current owners of its estate, or of every
    estate of its community. A district's notices are read on the site and told to no one: a
    text to every owner of a district is a decision of its own, not a side effect of publishing.
    A vote's notices (category 表决) neither: the vote itself tells exactly the owners in its
    scope (committees.votes). None when the notice is told to no one."""
    if notice.category == NoticeCategory.VOTES:
        return None
    scope = scope_of(notice)
    if isinstance(scope, Estate):
        where = {"unit__building__estate": scope}
    elif isinstance(scope, Community):
        where = {"unit__building__estate__grid__community": scope}
    else:
        return None
    return Owner.objects.filter(pk__in=Ownership.objects.in_force().filter(**where).values("owner")).only(
        "pk", "mobile", "user_id"
    )


NEWS_AGE = timedelta(days=1)


def tell_owners(notice: NoticePage):
    """Tell the notice's audience that it is published: once per notice, however often it is
    republished. A notice entered with a publication date more than a day past (a record of an
    old notice, as the demo's history) is not news and is told to no one. Returns the message,
    or None when nothing was told."""
    first = notice.first_published_at
    if first is not None and first < timezone.now() - NEWS_AGE:
        return None
    owners = notice_audience(notice)
    if owners is None:
        return None
    if notice.publicity_start and notice.publicity_end:
        period = f"公示期：{notice.publicity_start:%Y年%m月%d日} 至 {notice.publicity_end:%Y年%m月%d日}。"
    else:
        period = ""
    return notify(
        event=Event.NOTICE_PUBLISHED,
        recipients=owners,  # a queryset: notify reads it as plain values
        title=f"{notice.issuer}{notice.get_kind_display()}：{notice.title}"[:200],
        body=f"{notice.issuer}发布了{notice.get_kind_display()}“{notice.title}”。{period}请打开链接查看全文。",
        link=notice.get_url() or "",
        subject=notice,
    )
