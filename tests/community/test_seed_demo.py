from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from community import demo
from community.identifiers import is_valid_mobile, is_valid_resident_id, is_valid_uscc
from community.models import (
    Community,
    District,
    Estate,
    Grid,
    Owner,
    Ownership,
    RoleAssignment,
    ServiceContract,
    Street,
    Unit,
)
from community.rules import rules_for
from community.tenure.history import COMPANY, NONE
from community.tenure.selectors import management_history

COUNTED = (District, Street, Community, Grid, Estate, Unit, Owner, Ownership, ServiceContract, RoleAssignment)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", "--quiet-progress", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_demo_district_has_the_seed_reports_structure(seeded):
    assert (District.objects.count(), Street.objects.count(), Community.objects.count(), Grid.objects.count()) == (
        1,
        7,
        66,
        349,
    )
    assert Estate.objects.count() >= 150
    assert Unit.objects.count() >= 30_000
    assert Estate.objects.filter(name__in=["江滨豪园", "水榭新城"]).count() == 2
    assert rules_for(Estate.objects.get(name="江滨豪园")).filing_requires_exam is True


@pytest.mark.django_db
def test_owners_cover_every_case_the_rules_name(seeded):
    assert Owner.objects.filter(is_developer=True).exists()
    assert Ownership.objects.filter(owner__is_developer=True, ended_on__isnull=True).exists()
    from django.db.models import Count

    assert Owner.objects.annotate(n=Count("ownerships")).filter(n__gte=2, is_developer=False).exists()
    assert Ownership.objects.in_force().values("unit").annotate(n=Count("pk")).filter(n__gte=2).exists()
    assert Ownership.objects.filter(ended_on__isnull=False).exists()
    assert Unit.objects.filter(delivered=False).exists()
    sample = list(Owner.objects.exclude(mobile="")[:500])
    assert all(is_valid_mobile(o.mobile) for o in sample)
    assert all(is_valid_resident_id(o.id_number) for o in Owner.objects.exclude(id_number="")[:500])
    assert all(is_valid_uscc(o.uscc) for o in Owner.objects.exclude(uscc=""))


@pytest.mark.django_db
def test_sixteen_estates_went_from_no_manager_to_a_company(seeded):
    moved = 0
    for estate in Estate.objects.all():
        states = [s.state for s in management_history(estate)]
        if states[:1] == [NONE] and states[-1:] == [COMPANY]:
            moved += 1
    assert moved == demo.NO_MANAGER_TO_COMPANY == 16


@pytest.mark.django_db
def test_every_role_has_a_demo_login(seeded):
    for username in ("admin", "district", "street", "community", "grid", "committee", "company", "mediator", "owner"):
        assert username in seeded
    assert demo.DEMO_PASSWORD in seeded


@pytest.mark.django_db
def test_a_second_run_adds_nothing(seeded):
    before = [m.objects.count() for m in COUNTED]
    call_command("seed_demo", "--quiet-progress", stdout=StringIO())
    assert [m.objects.count() for m in COUNTED] == before


@pytest.mark.django_db
def test_the_demo_sets_no_known_second_factor_codes_without_debug(seeded):
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert "未设置演示两步验证码" in seeded
    assert not TOTPDevice.objects.filter(name="demo").exists()
    assert not StaticDevice.objects.filter(name="demo").exists()


@pytest.mark.django_db
def test_residents_requests_and_the_company_assessment_are_on_show(seeded):
    from django.db.models import Avg

    from grid.models import CaseStatus, GridCase, Level, Source
    from supervision.models import Assessment, Objection, Score

    requests = GridCase.objects.filter(source=Source.RESIDENT)
    assert set(requests.values_list("status", flat=True)) == set(CaseStatus.values)  # every status on show
    assert requests.filter(reopened__gte=1).exists() and requests.exclude(level=Level.COMPANY).exists()
    assert requests.filter(status=CaseStatus.CLOSED, rating__isnull=True).exists()  # closed by the time-keeper
    # The quick company and the slow ones are rated visibly apart.
    means = sorted(
        requests.filter(rating__isnull=False)
        .values("handling_unit__company")
        .annotate(mean=Avg("rating"))
        .values_list("mean", flat=True)
    )
    assert len(means) >= 2 and means[-1] - means[0] >= 1
    assessment = Assessment.objects.get()
    totals = list(Score.objects.filter(assessment=assessment).values_list("total", flat=True))
    assert max(totals) - min(totals) >= 10
    assert Objection.objects.filter(score__assessment=assessment, decided_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_the_indexes_the_seed_writes_at_the_end_are_those_rebuilt_from_scratch(seeded):
    """seed_demo runs Wagtail's search and reference indexing once per object at the end instead
    of on every save: what it leaves must be what indexing everything afresh writes. (A rebuild
    also indexes Wagtail's root page, made by its migrations and never saved by the seed.)"""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Page, ReferenceIndex
    from wagtail.search.models import IndexEntry

    def search():
        return set(IndexEntry.objects.values_list("content_type_id", "object_id", "title", "autocomplete", "body"))

    def references():
        return set(
            ReferenceIndex.objects.values_list(
                "content_type_id", "object_id", "to_content_type_id", "to_object_id", "model_path", "content_path"
            )
        )

    seeded_search, seeded_references = search(), references()
    assert "搜索与引用索引" in seeded
    assert len(seeded_search) > 500 and seeded_references  # every territory page, notice, document
    root = Page.get_first_root_node()
    never_saved = {(ContentType.objects.get_for_model(Page).pk, str(root.pk))}
    with transaction.atomic():
        call_command("update_index", stdout=StringIO())
        call_command("rebuild_references_index", stdout=StringIO())
        rebuilt_search, rebuilt_references = search(), references()
        transaction.set_rollback(True)
    assert seeded_search <= rebuilt_search and seeded_references <= rebuilt_references
    assert {row[:2] for row in rebuilt_search - seeded_search} <= never_saved
    assert {row[:2] for row in rebuilt_references - seeded_references} <= never_saved


def test_the_demo_password_hash_follows_the_hashers_in_force(settings):
    """seed_demo hashes the shared password once; a hash made under PBKDF2 (a module-scoped seed
    runs before the tests' fast hasher is set) must not be handed out where only MD5 is known."""
    from django.contrib.auth.hashers import check_password

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    slow = demo.password_hash()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    fast = demo.password_hash()
    assert slow.startswith("pbkdf2_sha256$") and fast.startswith("md5$")
    assert check_password(demo.DEMO_PASSWORD, fast) and demo.password_hash() == fast
