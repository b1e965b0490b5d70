"""Shared steps for the grid tests: a photo, and a case walked to a given status through the
services (never by setting a status)."""

from datetime import datetime, timedelta
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from grid import services
from grid.models import CaseStatus

S = CaseStatus
T0 = timezone.make_aware(datetime(2025, 3, 3, 9, 0))


def png(name="photo.png") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (8, 6), (200, 80, 40)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def report(world, *, actor=None, estate=None, now=None, **kw):
    kw.setdefault("category", "sanitation")
    kw.setdefault("description", "3号楼北侧垃圾堆放未清运")
    kw.setdefault("photo", png())
    return services.report_case(actor=actor, estate=estate or world.e1, now=now, **kw)


def walk(world, to: str, *, now=T0, estate=None):
    """A case reported at ``now`` and moved to ``to``, one hour per step."""
    case = report(world, now=now, estate=estate)
    hour = timedelta(hours=1)
    if to == S.REPORTED:
        return case
    case = services.dispatch_case(actor=None, case=case, assignee="物业服务中心", now=now + hour)
    if to == S.DISPATCHED:
        return case
    case = services.record_handling(actor=None, case=case, note="已清运", now=now + 2 * hour)
    if to == S.HANDLED:
        return case
    return services.verify_case(actor=None, case=case, passed=True, now=now + 3 * hour)
