from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from committees.exams import selectors as exam_selectors
from committees.exams import services
from committees.exams.question_bank import QUESTIONS
from committees.models import Attempt, Certificate, Question
from community.models import RuleSet
from tests.committees.conftest import BLUEPRINT, answer_all
from tests.factories import OwnerFactory

pytestmark = pytest.mark.django_db


def test_the_starter_bank_has_sixty_questions_over_every_topic_and_loads_once(bank):
    assert Question.objects.count() == len(QUESTIONS) >= 60
    assert set(Question.objects.values_list("topic", flat=True)) == {
        "votes",
        "committee",
        "fund",
        "fees",
        "mediation",
        "privacy",
    }
    assert services.load_question_bank(QUESTIONS) == 0
    for question in Question.objects.prefetch_related("options"):
        assert any(o.correct for o in question.options.all()) and question.explanation and question.source


def test_session_timing_and_marks_come_from_the_rule_set(world, bank, candidate):
    district = world.e1.district
    district.rule_set = RuleSet.objects.create(
        name="严格", exam_duration_minutes=45, exam_pass_score=90, exam_retake_limit=1
    )
    district.save()
    now = timezone.now()
    session = services.schedule_session(
        actor=None,
        community=world.e1.grid.community,
        title="严格场次",
        opens_at=now,
        closes_at=now + timedelta(days=1),
        blueprint=BLUEPRINT,
    )
    assert (session.duration_minutes, session.pass_percent, session.retake_limit) == (45, 90, 1)


def test_a_blueprint_the_bank_cannot_fill_is_refused_and_nothing_is_written(world, bank):
    now = timezone.now()
    with pytest.raises(ValidationError):
        services.schedule_session(
            actor=None,
            community=world.e1.grid.community,
            title="过大",
            opens_at=now,
            closes_at=now + timedelta(days=1),
            blueprint={"votes": 99},
        )
    assert not world.e1.grid.community.exam_sessions.exists()


def test_only_enrolled_candidates_start_and_a_reload_shows_the_same_paper(exam, candidate):
    with pytest.raises(PermissionDenied):
        services.start_attempt(candidate=OwnerFactory(), session=exam)
    attempt = services.start_attempt(candidate=candidate, session=exam)
    assert len(attempt.paper) == sum(BLUEPRINT.values())
    assert Attempt.objects.get(pk=attempt.pk).paper == attempt.paper
    with pytest.raises(ValidationError):
        services.start_attempt(candidate=candidate, session=exam)  # one open attempt at a time


class TestTimer:
    def test_an_answer_at_the_deadline_second_counts_and_one_after_is_refused(self, exam, candidate):
        attempt = services.start_attempt(candidate=candidate, session=exam)
        first, second = attempt.paper[0], attempt.paper[1]
        services.save_answer(
            attempt=attempt, question_id=first["q"], chosen=[first["options"][0]], now=attempt.deadline
        )
        with pytest.raises(ValidationError) as exc:
            services.save_answer(
                attempt=attempt,
                question_id=second["q"],
                chosen=[second["options"][0]],
                now=attempt.deadline + timedelta(seconds=1),
            )
        assert "时间已到" in exc.value.messages[0]
        attempt.refresh_from_db()
        assert attempt.submitted_at == attempt.deadline and attempt.auto_submitted
        assert list(attempt.answers.values_list("question_id", flat=True)) == [first["q"]]

    def test_the_deadline_is_the_duration_but_never_after_the_session_closes(self, exam, candidate):
        exam.closes_at = timezone.now() + timedelta(minutes=10)
        exam.save()
        attempt = services.start_attempt(candidate=candidate, session=exam)
        assert attempt.deadline == exam.closes_at

    def test_an_abandoned_attempt_is_submitted_at_its_deadline(self, exam, candidate):
        attempt = services.start_attempt(candidate=candidate, session=exam)
        answer_all(attempt, right=len(attempt.paper))
        assert services.close_expired_attempts(now=attempt.deadline) == 0
        assert services.close_expired_attempts(now=attempt.deadline + timedelta(seconds=1)) == 1
        attempt.refresh_from_db()
        assert attempt.passed and attempt.submitted_at == attempt.deadline and attempt.auto_submitted


class TestRetakes:
    def test_the_wait_and_the_limit_come_from_the_rule_set(self, exam, candidate):
        now = timezone.now()
        first = services.start_attempt(candidate=candidate, session=exam, now=now)
        answer_all(first, right=0, now=now)
        services.submit_attempt(attempt=first, now=now)
        with pytest.raises(ValidationError) as exc:
            services.start_attempt(candidate=candidate, session=exam, now=now + timedelta(days=6))
        assert "补考须等待" in exc.value.messages[0]
        later = now
        for number in (2, 3):  # retake_limit 2: two retakes after the first attempt
            later += timedelta(days=7)
            attempt = services.start_attempt(candidate=candidate, session=exam, now=later)
            assert attempt.number == number
            services.submit_attempt(attempt=attempt, now=later)
        with pytest.raises(ValidationError) as exc:
            services.start_attempt(candidate=candidate, session=exam, now=later + timedelta(days=7))
        assert "补考次数已用完" in exc.value.messages[0]

    def test_after_a_pass_there_is_nothing_to_retake(self, exam, candidate):
        attempt = services.start_attempt(candidate=candidate, session=exam)
        answer_all(attempt, right=len(attempt.paper))
        services.submit_attempt(attempt=attempt)
        with pytest.raises(ValidationError):
            services.start_attempt(candidate=candidate, session=exam, now=timezone.now() + timedelta(days=8))


class TestMarkingAndCertificates:
    def test_exactly_the_pass_mark_passes_and_earns_a_numbered_certificate(self, exam, candidate):
        attempt = services.start_attempt(candidate=candidate, session=exam)
        answer_all(attempt, right=8)  # 8 of 10 = 80, the national pass mark
        attempt = services.submit_attempt(attempt=attempt)
        assert attempt.passed and attempt.percent == 80
        certificate = Certificate.objects.get(attempt=attempt)
        assert certificate.number == f"KS{certificate.issued_on.year}-00001"
        assert exam_selectors.has_valid_certificate(candidate)

    def test_one_answer_short_fails_without_a_certificate(self, exam, candidate):
        attempt = services.start_attempt(candidate=candidate, session=exam)
        answer_all(attempt, right=7)
        attempt = services.submit_attempt(attempt=attempt)
        assert not attempt.passed and not Certificate.objects.exists()
        assert not exam_selectors.has_valid_certificate(candidate)

    def test_a_certificate_is_valid_for_the_rule_sets_years(self, exam, candidate):
        attempt = services.start_attempt(candidate=candidate, session=exam)
        answer_all(attempt, right=10)
        services.submit_attempt(attempt=attempt)
        issued = Certificate.objects.get().issued_on
        assert exam_selectors.has_valid_certificate(candidate, on=issued.replace(year=issued.year + 5))
        assert not exam_selectors.has_valid_certificate(
            candidate, on=issued.replace(year=issued.year + 5) + timedelta(days=1)
        )
        assert not exam_selectors.has_valid_certificate(candidate, on=issued - timedelta(days=1))

    def test_verification_recomputes_the_fingerprint_and_catches_tampering(self, exam, candidate):
        attempt = services.start_attempt(candidate=candidate, session=exam)
        answer_all(attempt, right=10)
        services.submit_attempt(attempt=attempt)
        certificate = Certificate.objects.get()
        fp = exam_selectors.certificate_fingerprint(certificate)
        assert exam_selectors.verify_certificate(certificate.number, fp)[1]
        assert exam_selectors.verify_certificate(
            certificate.number, " ".join(fp[i : i + 8] for i in range(0, 64, 8)).upper()
        )[1]
        tampered = ("0" if fp[0] != "0" else "1") + fp[1:]
        assert not exam_selectors.verify_certificate(certificate.number, tampered)[1]
        # A changed record no longer matches the paper printed from it.
        Attempt.objects.filter(pk=attempt.pk).update(percent=95)
        assert not exam_selectors.verify_certificate(certificate.number, fp)[1]
        assert exam_selectors.verify_certificate("KS1999-99999", fp) == (None, False)

    def test_answers_are_checked_against_the_paper(self, exam, candidate):
        attempt = services.start_attempt(candidate=candidate, session=exam)
        item = attempt.paper[0]
        with pytest.raises(ValidationError):
            services.save_answer(attempt=attempt, question_id=999999, chosen=[])
        with pytest.raises(ValidationError):
            services.save_answer(attempt=attempt, question_id=item["q"], chosen=[999999])
        assert not attempt.answers.exists()
