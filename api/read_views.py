"""The API's read side (/api/v1/): registry facts and computed figures, each scoped by
``community.access.visible(client account, VIEW, ...)`` — a client sees its district, street or
community and nothing else — and each list incremental by ``updated_since`` with cursor pages.

Registry lists (streets, communities, grids, estates, companies, contracts, committees) are
ordered by (``updated_at``, ``id``); ``updated_since=T`` keeps the rows with ``updated_at >= T``
(the boundary row comes again rather than being missed). Figures are computed by the selectors the
staff dashboard uses (``supervision.dashboard``, ``residents.coverage``, ``mediation.selectors``),
never here, and their lists are ordered by their key's id; each says what ``updated_since`` means
for it. Deletions: ``/api/v1/tombstones/`` (see ``api.sync``)."""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins

from committees.models import Committee
from community import access
from community.models import Community, Estate, Grid, PropertyCompany, SelfManagementPeriod, ServiceContract, Street
from fees.models import BillingRun, Ledger, LedgerEntry, Payment
from grid.models import GridCase, Source
from mediation import selectors as mediation_selectors
from mediation.models import CaseStep, Room
from residents import coverage as binding_coverage
from supervision import dashboard
from supervision.models import Assessment, Objection, Score

from . import serializers as s
from . import sync
from .auth import ClientViewSet
from .pagination import ChangedCursorPagination, KeyCursorPagination, SyncCursorPagination, TombstoneCursorPagination
from .schema import DETAIL_ERRORS, ERRORS, SINCE

TAG_REGISTRY = "registry"
TAG_FIGURES = "figures"
TAG_SYNC = "sync"


def _visible_estates(user):
    return access.visible(user, access.VIEW, Estate.objects.all())


def _list_schema(summary, description, serializer, *, tag, extra=()):
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[SINCE, *extra],
        responses={200: serializer(many=True), **ERRORS},
        tags=[tag],
    )


def _detail_schema(summary, serializer):
    return extend_schema(summary=summary, responses={200: serializer, **DETAIL_ERRORS}, tags=[TAG_REGISTRY])


class RegistryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ClientViewSet):
    """A registry list with its detail: scoped, ``updated_since`` on the list."""

    pagination_class = SyncCursorPagination
    since_field = "updated_at"
    lookup_value_regex = "[^/]+"  # every id reaches the view, which answers a JSON 404 for a bad one

    def get_object(self):
        pk = sync.object_id(self.kwargs["pk"])
        if pk is None:
            raise exceptions.NotFound(_("没有这个编号的条目。"))
        return get_object_or_404(self.get_queryset(), pk=pk)

    def scoped(self):
        raise NotImplementedError

    def get_queryset(self):
        return self.scoped()

    def filter_queryset(self, queryset):
        if self.action == "list":
            queryset = sync.since_filter(self.request, queryset, self.since_field)
        return queryset


@extend_schema_view(
    list=_list_schema(_("街道列表"), _("客户端范围内的街道。"), s.StreetSerializer, tag=TAG_REGISTRY),
    retrieve=_detail_schema(_("街道"), s.StreetSerializer),
)
class StreetViewSet(RegistryViewSet):
    serializer_class = s.StreetSerializer

    def scoped(self):
        return access.visible(self.request.user, access.VIEW, Street.objects.all())


@extend_schema_view(
    list=_list_schema(_("社区列表"), _("客户端范围内的社区。"), s.CommunitySerializer, tag=TAG_REGISTRY),
    retrieve=_detail_schema(_("社区"), s.CommunitySerializer),
)
class CommunityViewSet(RegistryViewSet):
    serializer_class = s.CommunitySerializer

    def scoped(self):
        return access.visible(self.request.user, access.VIEW, Community.objects.all())


@extend_schema_view(
    list=_list_schema(_("网格列表"), _("客户端范围内的网格。"), s.GridSerializer, tag=TAG_REGISTRY),
    retrieve=_detail_schema(_("网格"), s.GridSerializer),
)
class GridViewSet(RegistryViewSet):
    serializer_class = s.GridSerializer

    def scoped(self):
        return access.visible(self.request.user, access.VIEW, Grid.objects.all())


ESTATE_FIELDS = ("id", "code", "name", "address", "delivered_on", "grid_id", "grid__community_id")
ESTATE_FIELDS += ("grid__community__street_id", "management_state", "company_id", "company_name", "changed_at")


@extend_schema_view(
    list=_list_schema(
        _("小区列表"),
        _(
            "客户端范围内的小区，含今日的管理状态和在管企业。updated_at 取小区本身、其物业服务合同、"
            "其自行管理期间三者最近一次变动的时间，updated_since 按它筛选。注意：合同按约定日期到期"
            "而无记录变动时，管理状态会变而 updated_at 不变；需要准确的今日状态时请每日全量读取一次。"
        ),
        s.EstateSerializer,
        tag=TAG_REGISTRY,
    ),
    retrieve=_detail_schema(_("小区"), s.EstateSerializer),
)
class EstateViewSet(RegistryViewSet):
    serializer_class = s.EstateSerializer
    pagination_class = ChangedCursorPagination
    since_field = "changed_at"

    def scoped(self):
        today = timezone.localdate()
        in_force = ServiceContract.objects.in_force(today).filter(estate=OuterRef("pk")).order_by("-starts_on", "-pk")

        def latest(model):
            rows = model.objects.filter(estate=OuterRef("pk")).order_by().values("estate")
            return Coalesce(Subquery(rows.annotate(m=Max("updated_at")).values("m")[:1]), F("updated_at"))

        return (
            _visible_estates(self.request.user)
            .with_management_state(today)
            .annotate(
                company_id=Subquery(in_force.values("company_id")[:1]),
                company_name=Subquery(in_force.values("company__name")[:1]),
                changed_at=Greatest(F("updated_at"), latest(ServiceContract), latest(SelfManagementPeriod)),
            )
            .values(*ESTATE_FIELDS)
        )


@extend_schema_view(
    list=_list_schema(
        _("物业服务企业列表"),
        _("在客户端范围内的小区签有物业服务合同（含已到期的）的企业。updated_since 按企业登记信息的变动时间。"),
        s.CompanySerializer,
        tag=TAG_REGISTRY,
    ),
    retrieve=_detail_schema(_("物业服务企业"), s.CompanySerializer),
)
class CompanyViewSet(RegistryViewSet):
    serializer_class = s.CompanySerializer

    def scoped(self):
        contracts = ServiceContract.objects.filter(estate__in=_visible_estates(self.request.user).values("pk"))
        return PropertyCompany.objects.filter(pk__in=contracts.values("company_id"))


@extend_schema_view(
    list=_list_schema(
        _("物业服务合同列表"),
        _("客户端范围内小区的物业服务合同（含已到期、提前终止的），in_force 为今日是否在履行。"),
        s.ContractSerializer,
        tag=TAG_REGISTRY,
    ),
    retrieve=_detail_schema(_("物业服务合同"), s.ContractSerializer),
)
class ContractViewSet(RegistryViewSet):
    serializer_class = s.ContractSerializer

    def scoped(self):
        today = timezone.localdate()
        return (
            ServiceContract.objects.filter(estate__in=_visible_estates(self.request.user).values("pk"))
            .annotate(effective_last=Coalesce("terminated_on", "ends_on"))
            .annotate(
                in_force=ExpressionWrapper(
                    Q(starts_on__lte=today, effective_last__gte=today), output_field=BooleanField()
                )
            )
        )


@extend_schema_view(
    list=_list_schema(
        _("业主委员会列表"),
        _("客户端范围内小区的业主委员会（含自行管理委员会）：备案状态与任期，不含委员名单。"),
        s.CommitteeSerializer,
        tag=TAG_REGISTRY,
    ),
    retrieve=_detail_schema(_("业主委员会"), s.CommitteeSerializer),
)
class CommitteeViewSet(RegistryViewSet):
    serializer_class = s.CommitteeSerializer

    def scoped(self):
        return access.visible(self.request.user, access.VIEW, Committee.objects.all())


# --------------------------------------------------------------------------- figures


class FiguresViewSet(mixins.ListModelMixin, ClientViewSet):
    """A list of computed figures: the page is a page of keys (estates, communities, rooms,
    scores) by id, ``updated_since`` narrows the keys, and the figures of the page's keys are
    read from the dashboard's selectors over the client's whole scope (a fixed number of queries)."""

    pagination_class = KeyCursorPagination

    def keys(self):
        raise NotImplementedError

    def changed_since(self, keys, since):
        raise NotImplementedError

    def figures(self, page) -> list:
        raise NotImplementedError

    def get_queryset(self):
        keys = self.keys()
        since = sync.updated_since(self.request)
        return self.changed_since(keys, since) if since is not None else keys

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(self.figures(page), many=True).data)


@extend_schema_view(
    list=_list_schema(
        _("业主绑定覆盖率（按社区）"),
        _(
            "每个社区：有在册业主的房屋数、其中业主已绑定账号的房屋数及面积，按今日计算"
            "（residents.coverage）。updated_since：业主的产权登记与账号绑定没有变动时间，"
            "无法如实判断哪些社区的数字变了；此参数会校验格式但不缩小列表，始终返回全部社区。"
        ),
        s.CoverageSerializer,
        tag=TAG_FIGURES,
    )
)
class CoverageViewSet(FiguresViewSet):
    serializer_class = s.CoverageSerializer

    def keys(self):
        return Community.objects.filter(pk__in=_visible_estates(self.request.user).values("grid__community_id"))

    def changed_since(self, keys, since):
        return keys  # not honest to narrow: see the description

    def figures(self, page):
        rows = {row.pk: row for row in binding_coverage.coverage_by_community(self.request.user)}
        return [
            {
                **vars(rows[c.pk]),
                "unit_share": s.share(rows[c.pk].unit_share),
                "area_share": s.share(rows[c.pk].area_share),
            }
            for c in page
            if c.pk in rows
        ]


class EstateFiguresViewSet(FiguresViewSet):
    def keys(self):
        return _visible_estates(self.request.user).only("pk")


@extend_schema_view(
    list=_list_schema(
        _("物业费收缴率（按小区）"),
        _(
            "近十二个月（含当月）账单的应收、实收（已冲抵到这些账单的收款）与收缴率，与监管看板同一算法"
            "（supervision.dashboard.collection）。只列有账单的小区。updated_since=T：T 以后有出账或"
            "收款登记的小区。月份翻过时统计期随之移动，那时请全量读取一次。"
        ),
        s.CollectionSerializer,
        tag=TAG_FIGURES,
    )
)
class CollectionViewSet(EstateFiguresViewSet):
    serializer_class = s.CollectionSerializer

    def changed_since(self, keys, since):
        return keys.filter(
            Exists(BillingRun.objects.filter(estate=OuterRef("pk"), started_at__gte=since))
            | Exists(Payment.objects.filter(estate=OuterRef("pk"), recorded_at__gte=since))
        )

    def figures(self, page):
        p = dashboard.period()
        rows = {row.estate.pk: row for row in dashboard.collection_by_estate(self.request.user, p)}
        return [
            {
                "estate": e.pk,
                "since": p.since,
                "until": p.last,
                "billed": rows[e.pk].billed,
                "paid": rows[e.pk].paid,
                "rate": s.share(rows[e.pk].rate),
            }
            for e in page
            if e.pk in rows
        ]


@extend_schema_view(
    list=_list_schema(
        _("维修资金余额（按小区）"),
        _(
            "设有维修资金专户的小区及其专户账簿余额（supervision.dashboard.fund_balances）。"
            "updated_since=T：T 以后有维修资金账簿记账的小区（账簿只增不改，如实）。"
        ),
        s.FundSerializer,
        tag=TAG_FIGURES,
    )
)
class FundViewSet(EstateFiguresViewSet):
    serializer_class = s.FundSerializer

    def changed_since(self, keys, since):
        entries = LedgerEntry.objects.filter(estate=OuterRef("pk"), ledger=Ledger.FUND, recorded_at__gte=since)
        return keys.filter(Exists(entries))

    def figures(self, page):
        rows = {info.pk: balance for info, balance in dashboard.fund_balances(self.request.user)}
        return [{"estate": e.pk, "balance": rows[e.pk]} for e in page if e.pk in rows]


@extend_schema_view(
    list=_list_schema(
        _("居民诉求（按小区、按状态）"),
        _(
            "近十二个月上报的居民诉求：按状态计数、及时与逾期件数、评价件数与平均评分"
            "（supervision.dashboard.requests_by_estate）。只列有诉求的小区。updated_since=T："
            "T 以后有诉求变动（上报、流转、评价）的小区。未办结件随时间转为逾期而无记录变动，"
            "late 可能在无变动时增加；需要准确逾期数时请每日全量读取一次。"
        ),
        s.RequestsSerializer,
        tag=TAG_FIGURES,
    )
)
class RequestsViewSet(EstateFiguresViewSet):
    serializer_class = s.RequestsSerializer

    def changed_since(self, keys, since):
        cases = GridCase.objects.filter(estate=OuterRef("pk"), source=Source.RESIDENT, updated_at__gte=since)
        return keys.filter(Exists(cases))

    def figures(self, page):
        p = dashboard.period()
        rows = dashboard.requests_by_estate(self.request.user, p)
        out = []
        for e in page:
            if e.pk not in rows:
                continue
            r = rows[e.pk]
            out.append(
                {
                    "estate": e.pk,
                    "since": p.since,
                    "total": r.total,
                    "by_status": r.by_status,
                    "in_time": r.in_time,
                    "late": r.late,
                    "timely_rate": s.share(r.timely_rate),
                    "rated": r.rated,
                    "mean_rating": s.share(r.mean_rating),
                }
            )
        return out


YEAR = OpenApiParameter("year", OpenApiTypes.INT, description=_("只统计该年受理的案件（如 2026）；不填为全部年份。"))


@extend_schema_view(
    list=_list_schema(
        _("物业纠纷调解统计（按调解室）"),
        _(
            "客户端范围内各调解室的案件数、类别、调解成功率、结案天数、司法确认（mediation.selectors.statistics）。"
            "只列有案件的调解室。updated_since=T：T 以后有案件状态变动的调解室；司法确认申请与裁定"
            "不是状态变动，只改变 applied / confirmed 的那一次可能不被 updated_since 看到。"
        ),
        s.MediationSerializer,
        tag=TAG_FIGURES,
        extra=[YEAR],
    )
)
class MediationViewSet(FiguresViewSet):
    serializer_class = s.MediationSerializer

    def year(self):
        raw = self.request.query_params.get("year")
        if raw is None:
            return None
        if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
            raise exceptions.ValidationError({"year": [_("year 须是 2000 至 2100 之间的年份。")]})
        return int(raw)

    def keys(self):
        return access.visible(self.request.user, access.VIEW, Room.objects.all()).only("pk")

    def changed_since(self, keys, since):
        return keys.filter(Exists(CaseStep.objects.filter(case__room=OuterRef("pk"), at__gte=since)))

    def figures(self, page):
        groups, _total = mediation_selectors.statistics(self.request.user, "room", self.year())
        rows = {g.pk: g for g in groups}
        return [
            {
                **{k: v for k, v in vars(rows[room.pk]).items() if k != "days_to_close"},
                "categories": dict(rows[room.pk].categories),
                "agreement_rate": rows[room.pk].agreement_rate,
                "mean_days": rows[room.pk].mean_days,
                "median_days": rows[room.pk].median_days,
            }
            for room in page
            if room.pk in rows
        ]

    def list(self, request, *args, **kwargs):
        self.year()  # a bad year is refused before anything is read
        return super().list(request, *args, **kwargs)


@extend_schema_view(
    list=_list_schema(
        _("物业服务企业信用评价得分"),
        _(
            "客户端所在区已公布的年度信用评价中，在客户端范围内小区签有合同的企业的得分：公布时的总分、"
            "排名、名单，以及异议裁决（成立时的更正后总分）。updated_since=T：T 以后公布的评价，"
            "或 T 以后裁决了异议的得分。"
        ),
        s.ScoreSerializer,
        tag=TAG_FIGURES,
    )
)
class ScoreViewSet(FiguresViewSet):
    serializer_class = s.ScoreSerializer

    def keys(self):
        user = self.request.user
        districts = access.visible(user, access.VIEW, Estate.objects.all()).values(
            "grid__community__street__district_id"
        )
        companies = ServiceContract.objects.filter(estate__in=_visible_estates(user).values("pk")).values("company_id")
        return (
            Score.objects.filter(assessment__district__in=districts, company__in=companies)
            .select_related("assessment", "company", "objection")
            .annotate(
                objection_state=Case(
                    When(objection__isnull=True, then=Value("none")),
                    When(objection__decided_at__isnull=True, then=Value("pending")),
                    When(objection__upheld=True, then=Value("upheld")),
                    default=Value("dismissed"),
                )
            )
        )

    def changed_since(self, keys, since):
        decided = Objection.objects.filter(score=OuterRef("pk"), decided_at__gte=since)
        published = Assessment.objects.filter(pk=OuterRef("assessment_id"), published_at__gte=since)
        return keys.filter(Exists(published) | Exists(decided))

    def figures(self, page):
        return [
            {
                "id": score.pk,
                "company": {"id": score.company_id, "name": score.company.name},
                "district": score.assessment.district_id,
                "year": score.assessment.year,
                "published_at": score.assessment.published_at,
                "rank": score.rank,
                "total": score.total,
                "band": score.band,
                "objection": score.objection_state,
                "revised_total": score.objection.revised_total if score.objection_state == "upheld" else None,
            }
            for score in page
        ]


# --------------------------------------------------------------------------- deletions


KIND = OpenApiParameter("kind", OpenApiTypes.STR, enum=sorted(set(sync.KINDS.values())), description=_("资源类型。"))


@extend_schema_view(
    list=extend_schema(
        summary=_("删除记录（墓碑）"),
        description=_(
            "客户端范围内被删除的登记条目：kind 为资源名（streets、estates……），id 为原编号。"
            "updated_since=T 列出 T 以后的删除。增量同步时与各列表一同读取，删除本地对应条目。"
            "被删除的物业服务企业不属于任何辖区，所有客户端都能看到其删除记录。"
        ),
        parameters=[SINCE, KIND],
        responses={200: s.TombstoneSerializer(many=True), **ERRORS},
        tags=[TAG_SYNC],
    )
)
class TombstoneViewSet(mixins.ListModelMixin, ClientViewSet):
    serializer_class = s.TombstoneSerializer
    pagination_class = TombstoneCursorPagination

    def get_queryset(self):
        rows = sync.kind_filter(self.request, sync.tombstones_for(self.request.user))
        since = sync.updated_since(self.request)
        return rows.filter(deleted_at__gte=since) if since is not None else rows
