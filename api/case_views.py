"""Cases both ways, for client systems (the city platform): hand a case over into the one grid
flow, read the cases and their steps, register webhooks for their changes.

Which cases a client reads (list, detail, webhooks alike): the city-platform cases
(``Source.CITY``, whichever client reported them) on the estates of its scope. Grid workers'
reports and residents' requests are not shown: they may carry residents' details. ``?mine=1``
keeps only the client's own.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, parsers, status
from rest_framework.response import Response

from community import access, jobs
from community.models import Estate
from community.rules import rules_for
from community.web import error_text
from grid import services as grid
from grid.models import GridCase, GridCaseStep, PhotoStage, Source

from . import case_photos, sync
from . import services as api_services
from .auth import ClientViewSet
from .case_serializers import (
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseSerializer,
    WebhookCreatedSerializer,
    WebhookSerializer,
)
from .models import Webhook
from .pagination import SyncCursorPagination
from .schema import DETAIL_ERRORS, ERRORS, SINCE

NO_ESTATE = _("小区不存在或不在本客户端的范围内。")
NO_CASE = _("案件不存在或不在本客户端的范围内。")
NO_WEBHOOK = _("推送地址不存在。")


def refused(exc) -> exceptions.ValidationError:
    return exceptions.ValidationError({"detail": error_text(exc)})


def client_cases(user):
    """The city-platform cases on the estates of the client's scope."""
    return access.visible(user, access.VIEW, GridCase.objects.filter(source=Source.CITY))


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ClientViewSet):
    pagination_class = SyncCursorPagination
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser, parsers.FormParser]
    lookup_value_regex = "[^/]+"
    lookup_url_kwarg = "ref"

    def get_serializer_class(self):
        if self.action == "create":
            return CaseCreateSerializer
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer

    def get_queryset(self):
        rows = client_cases(self.request.user).select_related("estate", "handling_unit")
        rows = rows.annotate(report_photos=Count("photos", filter=Q(photos__stage=PhotoStage.REPORT)))
        if self.action == "retrieve":
            return rows.prefetch_related(Prefetch("steps", queryset=GridCaseStep.objects.order_by("at", "pk")))
        rows = sync.since_filter(self.request, rows)
        if self.request.query_params.get("mine") in ("1", "true"):
            rows = rows.filter(reported_by=self.request.user)
        return rows

    def get_object(self):
        ref = self.kwargs["ref"]
        rows = self.get_queryset()
        pk = sync.object_id(ref)
        found = rows.filter(pk=pk).first() if pk is not None else rows.filter(number=ref).first()
        if found is None:
            raise exceptions.NotFound(NO_CASE)
        return found

    @extend_schema(
        parameters=[
            SINCE,
            OpenApiParameter("mine", OpenApiTypes.BOOL, description=_("只列出本客户端上报的案件")),
        ],
        responses={200: CaseSerializer(many=True), **ERRORS},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: CaseDetailSerializer, **DETAIL_ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": CaseCreateSerializer, "application/json": CaseCreateSerializer},
        responses={200: CaseDetailSerializer, 201: CaseDetailSerializer, **ERRORS},
    )
    def create(self, request, *args, **kwargs):
        """Hand a case over: 201 with the case; 200 with the existing case when this client has
        already sent the same ``external_ref``."""
        form = CaseCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        user = request.user
        existing = self._existing(user, data["external_ref"])
        if existing is not None:
            return existing
        estate = access.visible(user, access.VIEW, Estate.objects.all()).filter(pk=data["estate"]).first()
        if estate is None:
            raise exceptions.ValidationError({"estate": [str(NO_ESTATE)]})
        try:
            urls = case_photos.checked(data["photo_urls"])
            most = rules_for(estate).request_photos_max
            if len(urls) + len(data["photos"]) > most:
                raise DjangoValidationError(grid.TOO_MANY_PHOTOS, params={"n": most})
            with transaction.atomic():
                case = grid.report_case(
                    actor=user,
                    estate=estate,
                    category=data["category"],
                    description=data["description"],
                    location=data["location"],
                    photos=data["photos"],
                    source=Source.CITY,
                    external_ref=data["external_ref"],
                )
                for url in urls:
                    transaction.on_commit(lambda url=url, pk=case.pk: jobs.enqueue("api.fetch_case_photo", pk, url))
        except DjangoValidationError as exc:
            raise refused(exc) from None
        except IntegrityError:  # the same reference posted twice at once: the other one won
            existing = self._existing(user, data["external_ref"])
            if existing is None:
                raise
            return existing
        self.kwargs["ref"] = str(case.pk)
        self.action = "retrieve"
        return Response(CaseDetailSerializer(self.get_object()).data, status=status.HTTP_201_CREATED)

    def _existing(self, user, ref: str):
        found = GridCase.objects.filter(reported_by=user, external_ref=ref.strip()).first()
        if found is None:
            return None
        self.kwargs["ref"] = str(found.pk)
        self.action = "retrieve"
        try:
            case = self.get_object()
        except exceptions.NotFound:  # reported while the scope was wider
            raise exceptions.ValidationError({"external_ref": [str(_("该外部编号已使用。"))]}) from None
        return Response(CaseDetailSerializer(case).data, status=status.HTTP_200_OK)


class WebhookViewSet(mixins.ListModelMixin, ClientViewSet):
    """The client's own webhooks. POST returns the signing secret once; DELETE stops a webhook."""

    serializer_class = WebhookSerializer
    pagination_class = None
    lookup_value_regex = "[^/]+"  # every id reaches the view, which answers a JSON 404 for a bad one

    def get_queryset(self):
        return Webhook.objects.filter(client=self.request.auth.client, active=True).order_by("pk")

    @extend_schema(responses={200: WebhookSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403], 429: ERRORS[429]})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=WebhookSerializer, responses={201: WebhookCreatedSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        form = WebhookSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            webhook, secret = api_services.register_webhook(
                actor=request.user, client=request.auth.client, url=form.validated_data["url"]
            )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        webhook.secret = secret
        return Response(WebhookCreatedSerializer(webhook).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={204: None, **DETAIL_ERRORS},
    )
    def destroy(self, request, *args, **kwargs):
        pk = kwargs.get("pk", "")
        pk = sync.object_id(pk)
        webhook = self.get_queryset().filter(pk=pk).first() if pk is not None else None
        if webhook is None:
            raise Http404(NO_WEBHOOK)
        api_services.deactivate_webhook(actor=request.user, webhook=webhook)
        return Response(status=status.HTTP_204_NO_CONTENT)
