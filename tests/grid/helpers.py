"""Shared steps for the grid tests: a photo, handling units, and a case walked to a given status
through the services (never by setting a status)."""

from datetime import datetime, timedelta
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from grid import services
from grid.models import CaseStatus, HandlingUnit, UnitKind

S = CaseStatus
T0 = timezone.make_aware(datetime(2025, 3, 3, 9, 0))


def png(name="photo.png") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (8, 6), (200, 80, 40)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def department(world, name="城管中队", *, district=None) -> HandlingUnit:
    """A government department of E1's district (or ``district``) with no logins of its own."""
    district = district or world.e1.district
    return HandlingUnit.objects.get_or_create(district=district, name=name, defaults={"kind": UnitKind.DEPARTMENT})[0]


def water(world) -> HandlingUnit:
    """The world's utility, whose staff member is ``world.users[Role.UNIT_STAFF]``."""
    return HandlingUnit.objects.get(name="自来水公司")


def report(world, *, actor=None, estate=None, now=None, **kw):
    kw.setdefault("category", "sanitation")
    kw.setdefault("description", "3号楼北侧垃圾堆放未清运")
    kw.setdefault("photos", [png()])
    return services.report_case(actor=actor, estate=estate or world.e1, now=now, **kw)


def walk(world, to: str, *, now=T0, estate=None, unit=None):
    """A case reported at ``now`` and moved to ``to``, one hour per step (dispatched to the
    department ``城管中队`` unless ``unit`` is given)."""
    case = report(world, now=now, estate=estate)
    hour = timedelta(hours=1)
    if to == S.REPORTED:
        return case
    unit = unit or department(world, district=case.estate.district)
    case = services.dispatch_case(actor=None, case=case, unit=unit, now=now + hour)
    if to == S.DISPATCHED:
        return case
    case = services.record_handling(actor=None, case=case, note="已清运", now=now + 2 * hour)
    if to == S.HANDLED:
        return case
    return services.verify_case(actor=None, case=case, passed=True, now=now + 3 * hour)
