"""The audit trail's lines from the committees' floor: votes convened and closed by their
conveners, a question-bank import, and the pages that show owners' names in full (a vote's
service list, an exam's results)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from committees.exams import services as exam_services
from committees.models import Vote
from committees.votes import services as vote_services
from community.models import AuditEvent, Role
from tests.committees.conftest import answer_all
from tests.committees.test_bank_import import GOOD, _xlsx
from tests.committees.test_vote_notifications import Scope
from tests.factories import login

pytestmark = pytest.mark.django_db


def rows(action, **filters):
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("pk"))


def test_a_vote_convened_and_closed_names_its_conveners(world):
    scope = Scope(world)
    vote = scope.convene()
    [convened] = rows("vote_convene")
    assert (convened.user_id, convened.object_type, convened.object_id) == (
        scope.committee.pk,
        "committees.vote",
        str(vote.pk),
    )
    assert convened.detail["matter"] == 5 and convened.detail["scope"] == "望江楼"
    now = timezone.now()
    Vote.objects.filter(pk=vote.pk).update(opens_at=now - timedelta(days=2), closes_at=now - timedelta(minutes=1))
    vote_services.close_vote(actor=scope.committee, vote=vote, now=now)
    [closed] = rows("vote_close")
    assert (closed.user_id, closed.object_id) == (scope.committee.pk, str(vote.pk))
    assert closed.detail == {"outcome": "未达到参与表决的法定比例", "decided": False}


def test_a_refused_convening_leaves_no_line(world):
    scope = Scope(world)
    with pytest.raises(Exception, match="没有权限"):
        vote_services.convene_vote(
            actor=world.users[Role.COMPANY_STAFF],
            estate=world.e1,
            matter=5,
            question="更换电梯",
            opens_at=timezone.now() + timedelta(days=16),
            closes_at=timezone.now() + timedelta(days=26),
            buildings=[scope.building],
        )
    assert not rows("vote_convene")


def test_the_service_page_is_recorded_for_those_who_see_names(client, world):
    scope = Scope(world)
    vote = scope.convene()
    page = reverse("committees:service", args=[vote.pk])
    login(client, scope.committee)  # the committee sees 王**
    assert "王**" in client.get(page).content.decode()
    assert not rows("view_personal")
    staff = world.users[Role.COMMUNITY_STAFF]
    login(client, staff)
    assert "王芳" in client.get(page).content.decode()
    [seen] = rows("view_personal")
    assert (seen.user_id, seen.object_type, seen.object_id, seen.detail) == (
        staff.pk,
        "committees.vote",
        str(vote.pk),
        {"page": "vote_service"},
    )


def test_exam_results_with_names_are_recorded(client, world, exam, candidate):
    attempt = exam_services.start_attempt(candidate=candidate, session=exam)
    answer_all(attempt, right=9)
    exam_services.submit_attempt(attempt=attempt)
    staff = world.users[Role.STREET_STAFF]
    login(client, staff)
    assert "陈委员" in client.get(reverse("committees:staff_results", args=[exam.pk])).content.decode()
    [seen] = rows("view_personal")
    assert (seen.user_id, seen.object_type, seen.object_id) == (staff.pk, "committees.examsession", str(exam.pk))


def test_a_question_bank_import_is_recorded_with_its_file_and_importer(client, world):
    admin = world.users[Role.DISTRICT_ADMIN]
    login(client, admin)
    upload = SimpleUploadedFile("bank.xlsx", _xlsx(GOOD))
    response = client.post(reverse("admin:committees_question_import"), {"file": upload})
    assert response.status_code == 302
    [line] = rows("import")
    assert (line.user_id, line.object_type, line.detail["file"]) == (admin.pk, "committees.question", "bank.xlsx")
    assert (line.detail["added"], line.detail["skipped"]) == (3, 0)
