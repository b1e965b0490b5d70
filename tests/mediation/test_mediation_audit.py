"""A mediation agreement carries the parties' names in full: its PDF is an audited export."""

import pytest
from django.urls import reverse

from community.models import AuditEvent, Role
from tests.factories import login

from .helpers import effective

pytestmark = pytest.mark.django_db


def test_a_mediation_agreement_pdf_is_recorded_as_an_export(client, world):
    agreement = effective(world)
    login(client, world.users[Role.GRID_WORKER])  # no access to cases: refused, nothing recorded
    assert client.get(reverse("mediation:agreement_pdf", args=[agreement.case.pk])).status_code in (403, 404)
    assert not AuditEvent.objects.filter(action="export").exists()
    mediator = world.users[Role.MEDIATOR]
    login(client, mediator)
    assert client.get(reverse("mediation:agreement_pdf", args=[agreement.case.pk])).status_code == 200
    [line] = AuditEvent.objects.filter(action="export")
    assert (line.user_id, line.object_type, line.object_id, line.detail) == (
        mediator.pk,
        "mediation.agreement",
        str(agreement.pk),
        {"document": "agreement_pdf"},
    )


def test_a_case_file_read_by_staff_is_recorded_and_a_partys_own_reading_is_not(client, world):
    agreement = effective(world)
    url = reverse("mediation:case", args=[agreement.case.pk])
    login(client, world.owner_user)  # 张三丰, the applicant
    assert client.get(url).status_code == 200
    assert not AuditEvent.objects.filter(action="view_personal").exists()
    mediator = world.users[Role.MEDIATOR]
    login(client, mediator)
    assert "张三丰" in client.get(url).content.decode()
    [line] = AuditEvent.objects.filter(action="view_personal")
    assert (line.user_id, line.object_type, line.object_id, line.detail) == (
        mediator.pk,
        "mediation.case",
        str(agreement.case.pk),
        {"page": "mediation_case"},
    )
