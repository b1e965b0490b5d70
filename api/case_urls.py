"""Cases both ways and webhooks, under /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import case_views

router = SimpleRouter()
router.register("v1/cases", case_views.CaseViewSet, basename="case")
router.register("v1/webhooks", case_views.WebhookViewSet, basename="webhook")

urlpatterns = router.urls
