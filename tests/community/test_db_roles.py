"""Records the database keeps (数据完整性), proved as an attacker holding the application's own
database login would try: the app role set up by ``manage.py setup_db_roles`` cannot change or
remove a record, switch a trigger off, empty a table or alter one, and the application still
does all its work as that role."""

from datetime import date, timedelta
from io import StringIO

import pgtrigger
import psycopg
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from committees.models import Ballot, CommitteeEvent
from committees.votes import services as votes
from community import audit, dbroles, records
from community.import_services import import_registry
from community.models import AuditEvent, NumberSequence, Role
from community.sequences import next_number
from fees import services as fees
from fees.models import Allocation, Bill, LedgerEntry, Payment, Statement
from grid.models import GridCaseStep
from mediation import services as mediation
from mediation.models import CaseStep
from tests.community.test_import import GOOD, xlsx
from tests.factories import BuildingFactory, OwnerFactory, OwnershipFactory, UnitFactory, UserFactory, login
from tests.fees.conftest import publish, seat_committee
from tests.grid.helpers import walk
from tests.mediation.helpers import accepted, at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "app-Secret-2026"


def _role_name() -> str:
    # Roles belong to the whole cluster: one per test database, so parallel runs never share one.
    return f"{connection.settings_dict['NAME']}_app"[:63]


def _owner(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def _as_app():
    """Point Django's default connection at the app role (the next query reconnects)."""
    connection.close()
    connection.settings_dict["USER"], connection.settings_dict["PASSWORD"] = _role_name(), PASSWORD


@pytest.fixture
def app_role():
    owner = (connection.settings_dict["USER"], connection.settings_dict["PASSWORD"])
    report = dbroles.setup_app_role(role=_role_name(), password=PASSWORD)
    yield report
    connection.close()
    connection.settings_dict["USER"], connection.settings_dict["PASSWORD"] = owner
    _owner(f'DROP OWNED BY "{report.role}"')
    _owner(f'DROP ROLE "{report.role}"')


@pytest.fixture
def app(app_role):
    """A raw connection as the app role, outside Django, each statement committed on its own."""
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        dbname=s["NAME"],
        user=app_role.role,
        password=PASSWORD,
        autocommit=True,
    ) as conn:
        yield conn


def refused(app, sql, params=None, match=""):
    with pytest.raises(psycopg.Error, match=match):
        app.execute(sql, params)


# --------------------------------------------------------------------------- the command


def test_setup_db_roles_is_idempotent_and_the_role_owns_nothing(world):
    role = _role_name()
    out = StringIO()
    try:
        call_command("setup_db_roles", app_role=role, password=PASSWORD, stdout=out)
        assert "已创建应用角色" in out.getvalue()
        out = StringIO()
        call_command("setup_db_roles", app_role=role, password="", stdout=out)  # again, keeping its password
        assert "已更新应用角色" in out.getvalue() and "fees_ledgerentry" in out.getvalue()
        ((superuser, inherit, createrole, createdb),) = _owner(
            "SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s", [role]
        )
        assert not (superuser or inherit or createrole or createdb)
        owned = _owner(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = %s)", [role]
        )
        assert owned == [(0,)]
        tables = [t for (t,) in _owner("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        privilege = lambda table, what: _owner("SELECT has_table_privilege(%s, %s, %s)", [role, table, what])[0][0]  # noqa: E731
        assert not any(privilege(t, "TRUNCATE") for t in tables)
        assert not any(privilege(t, "REFERENCES") or privilege(t, "TRIGGER") for t in tables)
        kept = records.protected_tables(apps.get_models())
        assert {"fees_ledgerentry", "fees_payment", "committees_ballot", "community_auditevent"} <= set(kept)
        assert not any(privilege(t, "DELETE") for t in kept)
        assert all(privilege(t, "INSERT") and privilege(t, "SELECT") for t in kept)
        assert privilege("community_estate", "DELETE") and not privilege("django_migrations", "INSERT")
        assert not _owner("SELECT has_schema_privilege(%s, current_schema(), 'CREATE')", [role])[0][0]
    finally:
        _owner(f'DROP OWNED BY "{role}"')
        _owner(f'DROP ROLE IF EXISTS "{role}"')


def test_setup_db_roles_refuses_bad_input_and_creates_nothing(world):
    owner = connection.settings_dict["USER"]
    for name, password, message in [
        ("estate-app; DROP TABLE x", PASSWORD, "角色名只能由英文字母"),
        (owner, PASSWORD, "不能是表的所有者"),
        (_role_name(), "", "需要密码"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("setup_db_roles", app_role=name, password=password, stdout=StringIO())
    assert _owner("SELECT count(*) FROM pg_roles WHERE rolname = %s", [_role_name()]) == [(0,)]


def test_every_record_table_carries_both_triggers_and_they_are_on():
    for table in records.protected_tables(apps.get_models()):
        installed = _owner(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table]
        )
        names = {name for name, enabled in installed if enabled == "O"}
        assert any(n.endswith("_truncate_" + n.rsplit("_", 1)[1]) for n in names), table
        assert len(names) >= 2, table


# --------------------------------------------------------------------------- tampering refused


@pytest.fixture
def kept(world, app_role):
    """One row of each kind of record, written through the services as the owner."""
    pilot = world.e1
    publish(pilot)
    period = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    fees.run_billing(actor=None, estate=pilot, period=period)
    unit = world.resident.ownerships.get().unit
    bills = list(Bill.objects.filter(unit=unit))
    payment = fees.record_payment(
        actor=None,
        unit=unit,
        amount="50.00",
        paid_on=timezone.localdate(),
        method="wechat",
        payer="张三丰",
        bills=bills,
    )
    statement = Statement.objects.create(
        estate=pilot,
        kind="month",
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 1, 31),
        fingerprint="a" * 64,
        pdf="statements/2025/x.pdf",
        published_at=timezone.now(),
    )
    building = BuildingFactory(estate=pilot)
    owner = OwnerFactory(name="业主甲", user=UserFactory(username="voter"))
    OwnershipFactory(unit=UnitFactory(building=building, room="501"), owner=owner)
    opens = timezone.now() + timedelta(days=16)
    vote = votes.convene_vote(
        actor=world.users[Role.COMMITTEE_MEMBER],
        estate=pilot,
        matter=5,
        question="更换电梯",
        opens_at=opens,
        closes_at=opens + timedelta(days=10),
        buildings=[building],
    )
    ballot = votes.cast_ballot(voter=owner, vote=vote, holder=str(owner.pk), choice="yes", now=opens)
    committee = seat_committee(pilot, size=3)
    CommitteeEvent.objects.create(committee=committee, to_status="filed", at=timezone.now())
    walk(world, "dispatched")
    accepted(world)
    audit.record("view_personal", user=world.users[Role.DISTRICT_ADMIN], obj=world.resident)
    return {
        "payment": payment,
        "entry": payment.ledger_entry,
        "statement": statement,
        "ballot": ballot,
        "vote": vote,
        "opens": opens,
        "owner": owner,
    }


def test_the_app_role_cannot_change_or_remove_a_record(kept, app):
    payment, entry = kept["payment"], kept["entry"]
    refused(app, "UPDATE fees_payment SET amount = 1 WHERE id = %s", [payment.pk], "payment_append_only")
    refused(app, "UPDATE fees_allocation SET amount = 1", match="allocation_append_only")
    refused(app, "UPDATE fees_ledgerentry SET amount = 1 WHERE id = %s", [entry.pk], "ledger_append_only")
    refused(app, "DELETE FROM fees_ledgerentry WHERE id = %s", [entry.pk], "permission denied")
    refused(app, "DELETE FROM fees_payment", match="permission denied")
    refused(app, "UPDATE fees_statement SET fingerprint = 'b'", match="statement_append_only")
    refused(app, "UPDATE committees_ballot SET choice = 'no'", match="ballot_append_only")
    refused(app, "UPDATE committees_committeeevent SET note = 'x'", match="committee_event_append_only")
    refused(app, "UPDATE grid_gridcasestep SET note = 'x'", match="grid_case_step_append_only")
    refused(app, "UPDATE mediation_casestep SET note = 'x'", match="case_step_append_only")
    refused(app, "UPDATE community_auditevent SET action = 'x'", match="audit_append_only")
    refused(app, "DELETE FROM community_auditevent", match="permission denied")
    # A counter moves forward (as next_number does), never back, and is never removed.
    app.execute("UPDATE community_numbersequence SET last = last + 1 WHERE series LIKE 'receipt:%%'")
    refused(app, "UPDATE community_numbersequence SET last = last - 1", match="sequence_forward_only")
    refused(app, "UPDATE community_numbersequence SET year = year + 1", match="sequence_forward_only")
    refused(app, "DELETE FROM community_numbersequence", match="permission denied")
    # The management history: a signed term never changes, an early end is never pushed back.
    refused(app, "UPDATE community_servicecontract SET ends_on = ends_on + 365", match="contract_terms_kept")
    app.execute("UPDATE community_servicecontract SET terminated_on = ends_on - 1")
    refused(app, "UPDATE community_servicecontract SET terminated_on = ends_on", match="contract_terms_kept")
    refused(app, "UPDATE community_servicecontract SET terminated_on = NULL", match="contract_terms_kept")

    payment.refresh_from_db()
    assert payment.amount == 50 and LedgerEntry.objects.filter(pk=entry.pk, amount=50).exists()
    assert Ballot.objects.get().choice == "yes" and Statement.objects.get().fingerprint == "a" * 64
    assert AuditEvent.objects.filter(action="view_personal").count() == 1
    assert CaseStep.objects.exclude(note="x").count() == CaseStep.objects.count() > 0
    assert GridCaseStep.objects.exclude(note="x").count() == GridCaseStep.objects.count() > 0


def test_the_app_role_cannot_switch_the_triggers_off_or_empty_a_table(kept, app):
    pgid = records.AppendOnly(name="payment_append_only").get_pgid(Payment)
    update = "UPDATE fees_payment SET amount = 1"
    refused(app, "SET session_replication_role = replica", match="permission denied")
    refused(app, "ALTER TABLE fees_payment DISABLE TRIGGER ALL", match="must be owner")
    refused(app, f"ALTER TABLE fees_payment DISABLE TRIGGER {pgid}", match="must be owner")
    refused(app, f"DROP TRIGGER {pgid} ON fees_payment", match="must be owner")
    refused(app, "ALTER TABLE fees_payment ADD COLUMN x int", match="must be owner")
    refused(app, "CREATE TABLE fees_shadow (id int)", match="permission denied")
    for table in ("fees_ledgerentry", "fees_payment", "committees_ballot", "community_auditevent"):
        refused(app, f"TRUNCATE {table} CASCADE", match="permission denied")
    # pgtrigger's own switch: a session setting any role may set. The record triggers never read it.
    app.execute("SELECT set_config('pgtrigger.ignore', %s, false)", ["{" + pgid + "}"])
    refused(app, update, match="payment_append_only")
    # Were TRUNCATE granted by mistake, the trigger still refuses everyone but the owner.
    _owner(f'GRANT TRUNCATE ON fees_allocation TO "{_role_name()}"')
    try:
        refused(app, "TRUNCATE fees_allocation", match="allocation_append_only_truncate")
    finally:
        _owner(f'REVOKE TRUNCATE ON fees_allocation FROM "{_role_name()}"')
    assert Allocation.objects.count() > 0 and Payment.objects.get().amount == 50


def test_pgtrigger_ignore_does_not_open_a_record_even_to_the_owner(kept):
    with pgtrigger.ignore("fees.Payment:payment_append_only"):
        with pytest.raises(DatabaseError, match="payment_append_only"), transaction.atomic():
            Payment.objects.update(amount=1)
    with pgtrigger.ignore("fees.LedgerEntry:ledger_append_only"):
        with pytest.raises(DatabaseError, match="ledger_append_only"), transaction.atomic():
            LedgerEntry.objects.filter(pk=kept["entry"].pk).delete()
    assert Payment.objects.get().amount == 50


def test_a_paper_ballot_is_corrected_by_its_owner_only_while_the_vote_is_open(kept, world, app):
    vote, opens = kept["vote"], kept["opens"]
    other = OwnerFactory(name="业主乙", user=UserFactory(username="voter2"))
    OwnershipFactory(unit=UnitFactory(building=vote.buildings.get(), room="502"), owner=other)
    _as_app()
    votes.enter_paper_ballot(
        actor=world.users[Role.COMMITTEE_MEMBER], vote=vote, holder=str(other.pk), choice="no", now=opens
    )
    corrected = votes.cast_ballot(voter=other, vote=vote, holder=str(other.pk), choice="yes", now=opens)
    assert corrected.choice == "yes" and corrected.entered_by is not None
    votes.close_vote(actor=world.users[Role.COMMITTEE_MEMBER], vote=vote, now=vote.closes_at)
    refused(app, "UPDATE committees_ballot SET choice = 'no' WHERE id = %s", [corrected.pk], "ballot_append_only")


# --------------------------------------------------------------------------- the app still works


def test_the_application_does_its_work_as_the_app_role(kept, world):
    pilot, unit = world.e1, world.resident.ownerships.get().unit
    staff, company = world.users[Role.COMMUNITY_STAFF], world.users[Role.COMPANY_STAFF]
    vote = kept["vote"]
    _as_app()
    assert connection.cursor().connection.info.user == _role_name()

    bill = Bill.objects.filter(unit=unit).order_by("period").last()
    payment = fees.record_payment(
        actor=company,
        unit=unit,
        amount="10.00",
        paid_on=timezone.localdate(),
        method="cash",
        payer="张三丰",
        bills=[bill],
    )
    income = fees.record_income(
        actor=company,
        estate=pilot,
        category="common",
        amount="300.00",
        entry_date=timezone.localdate(),
        description="广告位租金",
    )
    fees.reverse_entry(actor=company, entry=income, reason="重复登记")
    closed = votes.close_vote(actor=world.users[Role.COMMITTEE_MEMBER], vote=vote, now=vote.closes_at)
    assert closed.status == "closed"
    case = accepted(world)
    session = mediation.book_session(
        actor=None, case=case, starts_at=at(2, 9), ends_at=at(2, 10), now=at(0, 8) - timedelta(days=1)
    )
    assert session.pk
    walk(world, "handled")
    plan = import_registry(actor=staff, estate=world.e2, name="f.xlsx", content=xlsx(GOOD))
    assert len(plan.new_units) == 4
    with transaction.atomic():
        assert next_number("test:app", 2026) == 1
    audit.record("export", user=staff, obj=pilot)

    client = Client()
    for user, url in [
        (staff, reverse("community:estate_detail", args=[pilot.pk])),
        (staff, reverse("community:search") + "?q=101"),
        (company, reverse("fees:estate", args=[pilot.pk])),
        (company, reverse("fees:ledger", args=[pilot.pk])),
        (company, reverse("fees:unit", args=[pilot.pk, unit.pk])),
        (world.users[Role.COMMITTEE_MEMBER], reverse("committees:turnout", args=[vote.pk])),
        (world.users[Role.MEDIATOR], reverse("mediation:case", args=[case.pk])),
        (world.users[Role.GRID_WORKER], reverse("grid:cases")),
        (world.owner_user, reverse("fees:my_bills")),
    ]:
        login(client, user)
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("fees:statements", args=[pilot.pk])).status_code == 200
    assert Payment.objects.filter(pk=payment.pk).exists()
    assert NumberSequence.objects.filter(series="test:app").get().last == 1
