from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from committees.exams import selectors as exam_selectors
from committees.exams import services
from committees.models import ExamSession
from community.models import Role
from tests.committees.conftest import BLUEPRINT, answer_all
from tests.factories import login

pytestmark = pytest.mark.django_db

# Who runs exams and sees results, in their own scope: e1's community belongs to all three.
EXAM_STAFF = [Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF]
NOT_EXAM_STAFF = [Role.GRID_WORKER, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR]


@pytest.fixture
def sat(exam, candidate):
    attempt = services.start_attempt(candidate=candidate, session=exam)
    answer_all(attempt, right=9)
    services.submit_attempt(attempt=attempt)
    return exam


@pytest.mark.parametrize("role", EXAM_STAFF)
def test_exam_staff_see_results_in_their_scope_only(client, world, sat, role, bank):
    now = timezone.now()
    elsewhere = services.schedule_session(
        actor=None,
        community=world.other[role].grid.community,
        title="别处的考试",
        opens_at=now,
        closes_at=now + timedelta(days=1),
        blueprint=BLUEPRINT,
    )
    login(client, world.users[role])
    page = client.get(reverse("committees:staff_sessions")).content.decode()
    assert sat.title in page and "别处的考试" not in page
    response = client.get(reverse("committees:staff_results", args=[sat.pk]))
    assert response.status_code == 200
    assert response.context["results"]["pass_rate"] == 100 and response.context["results"]["most_missed"]
    assert client.get(reverse("committees:staff_results", args=[elsewhere.pk])).status_code == 404


@pytest.mark.parametrize("role", NOT_EXAM_STAFF)
def test_other_roles_see_no_exam_results(client, world, sat, role):
    login(client, world.users[role])
    assert client.get(reverse("committees:staff_sessions")).status_code == 403
    assert client.get(reverse("committees:staff_results", args=[sat.pk])).status_code == 403


def test_the_results_page_runs_a_fixed_number_of_queries(client, world, sat, django_assert_max_num_queries):
    login(client, world.users[Role.COMMUNITY_STAFF])
    with django_assert_max_num_queries(16):
        client.get(reverse("committees:staff_results", args=[sat.pk]))


def _session_form(world, **overrides):
    data = {
        "community": world.e1.grid.community_id,
        "title": "后台安排的考试",
        "opens_at_0": "2026-12-01",
        "opens_at_1": "09:00",
        "closes_at_0": "2026-12-20",
        "closes_at_1": "17:00",
        "place": "社区会议室",
        "blueprint": '{"votes": 3, "fund": 2}',
    }
    data.update(overrides)
    return data


def test_community_staff_schedule_a_sitting_in_the_admin_with_rule_set_timing(client, world, bank):
    login(client, world.users[Role.COMMUNITY_STAFF])
    response = client.post(reverse("admin:committees_examsession_add"), _session_form(world))
    assert response.status_code == 302
    session = ExamSession.objects.get(title="后台安排的考试")
    assert (session.duration_minutes, session.pass_percent) == (60, 80)


@pytest.mark.parametrize(
    "blueprint,message",
    [('{"votes": 99}', "votes"), ('["votes"]', "主题"), ('{"gossip": 2}', "主题"), ('{"votes": -1}', "主题")],
)
def test_a_bad_blueprint_in_the_admin_is_explained_and_nothing_is_written(client, world, bank, blueprint, message):
    login(client, world.users[Role.COMMUNITY_STAFF])
    response = client.post(reverse("admin:committees_examsession_add"), _session_form(world, blueprint=blueprint))
    assert response.status_code == 200 and "组卷方案无效" in response.content.decode()
    assert not ExamSession.objects.exists()


def test_staff_cannot_schedule_for_another_community(client, world, bank):
    login(client, world.users[Role.COMMUNITY_STAFF])
    response = client.post(
        reverse("admin:committees_examsession_add"), _session_form(world, community=world.e3.grid.community_id)
    )
    assert response.status_code == 200 and not ExamSession.objects.exists()


def test_only_district_administrators_edit_the_question_bank(client, world, bank):
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert client.get(reverse("admin:committees_question_changelist")).status_code == 403
    login(client, world.users[Role.DISTRICT_ADMIN])
    assert client.get(reverse("admin:committees_question_changelist")).status_code == 200


def test_trainings_are_recorded_in_scope_and_form_each_persons_record(world, candidate):
    from datetime import date

    from django.core.exceptions import PermissionDenied

    staff = world.users[Role.COMMUNITY_STAFF]
    training = services.record_training(
        actor=staff,
        community=world.e1.grid.community,
        topic="备案流程",
        held_on=date(2026, 3, 1),
        trainer="区住建局",
        place="社区",
        attendees=[candidate],
    )
    assert list(exam_selectors.training_record(candidate)) == [training]
    assert list(exam_selectors.training_record(candidate, until=date(2026, 2, 28))) == []
    with pytest.raises(PermissionDenied):
        services.record_training(
            actor=staff,
            community=world.e3.grid.community,
            topic="越权",
            held_on=date(2026, 3, 1),
            trainer="x",
            place="y",
        )
    with pytest.raises(PermissionDenied):
        services.record_training(
            actor=world.users[Role.GRID_WORKER],
            community=world.e1.grid.community,
            topic="越权",
            held_on=date(2026, 3, 1),
            trainer="x",
            place="y",
        )
