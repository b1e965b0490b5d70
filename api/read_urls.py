"""/api/v1/ read endpoints, the OpenAPI schema (/api/schema/) and the readable API page (/api/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import docs_views, read_views

router = SimpleRouter()
router.register("v1/streets", read_views.StreetViewSet, basename="street")
router.register("v1/communities", read_views.CommunityViewSet, basename="community")
router.register("v1/grids", read_views.GridViewSet, basename="grid")
router.register("v1/estates", read_views.EstateViewSet, basename="estate")
router.register("v1/companies", read_views.CompanyViewSet, basename="company")
router.register("v1/contracts", read_views.ContractViewSet, basename="contract")
router.register("v1/committees", read_views.CommitteeViewSet, basename="committee")
router.register("v1/figures/coverage", read_views.CoverageViewSet, basename="figures-coverage")
router.register("v1/figures/collection", read_views.CollectionViewSet, basename="figures-collection")
router.register("v1/figures/fund", read_views.FundViewSet, basename="figures-fund")
router.register("v1/figures/requests", read_views.RequestsViewSet, basename="figures-requests")
router.register("v1/figures/mediation", read_views.MediationViewSet, basename="figures-mediation")
router.register("v1/figures/scores", read_views.ScoreViewSet, basename="figures-scores")
router.register("v1/tombstones", read_views.TombstoneViewSet, basename="tombstone")

urlpatterns = [
    path("", docs_views.docs, name="docs"),
    path("schema/", docs_views.schema, name="schema"),
    *router.urls,
]
