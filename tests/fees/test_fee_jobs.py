"""Fees' jobs, inline: the billing run from the page, the monthly automatic billing, and the long
statement and split PDFs made by a job with the access checked again inside it."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from community import jobs
from community.models import Job, JobStatus, Role
from fees import tasks
from fees.models import Bill, FeeSchedule
from tests.factories import OwnershipFactory, UnitFactory, login
from tests.fees.conftest import publish
from tests.fees.fund_helpers import open_fund
from tests.fees.test_fund_views import _use

pytestmark = pytest.mark.django_db


def _job(response) -> Job:
    assert response.status_code == 302 and response.url.startswith("/jobs/")
    return Job.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))


def test_billing_from_the_page_is_a_job_the_user_watches(client, world, pilot):
    login(client, world.users[Role.COMPANY_STAFF])
    job = _job(client.post(reverse("fees:estate", args=[pilot.pk]), {"action": "bill", "period": "2026-02"}))
    assert job.status == JobStatus.DONE and job.message.startswith("已出账")
    assert job.result_link == reverse("fees:estate", args=[pilot.pk])
    assert Bill.objects.filter(estate=pilot, period=date(2026, 2, 1)).exists()
    page = client.get(reverse("community:job", args=[job.pk])).content.decode()
    assert "已出账" in page and reverse("fees:estate", args=[pilot.pk]) in page


def test_a_refused_billing_job_fails_with_the_reason_and_writes_nothing(client, world, pilot):
    login(client, world.users[Role.COMPANY_STAFF])
    future = timezone.localdate().replace(day=1).replace(year=timezone.localdate().year + 1)
    job = _job(client.post(reverse("fees:estate", args=[pilot.pk]), {"action": "bill", "period": f"{future:%Y-%m}"}))
    assert job.status == JobStatus.FAILED and job.message and not Bill.objects.exists()


def test_the_billing_job_checks_access_again_when_it_runs(world, pilot):
    # The page refuses a committee member; a job started for one anyway is refused by the service.
    member = world.users[Role.COMMITTEE_MEMBER]
    job = jobs.start(
        actor=member, task=tasks.run_billing, title="出账", params={"estate": pilot.pk, "period": "2026-02-01"}
    )
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and not Bill.objects.exists()


def test_the_page_refuses_billing_to_those_who_do_not_keep_the_accounts(client, world, pilot):
    login(client, world.users[Role.COMMITTEE_MEMBER])
    client.post(reverse("fees:estate", args=[pilot.pk]), {"action": "bill", "period": "2026-02"})
    assert not Job.objects.exists() and not Bill.objects.exists()


def test_automatic_billing_bills_this_month_once_and_only_where_asked(world, pilot):
    automatic = world.e3  # company B's estate; the pilot's price list leaves billing to staff
    publish(automatic, bills_automatically=True)
    OwnershipFactory(unit=UnitFactory(building__estate=automatic, room="808"), started_on=date(2015, 1, 1))
    this_month = timezone.localdate().replace(day=1)
    done = tasks.bill_automatically.apply().get()
    assert done["estates"] == 1 and done["bills"] > 0 and not done["refused"]
    assert Bill.objects.filter(estate=automatic, period=this_month).count() == done["bills"]
    assert not Bill.objects.filter(estate=pilot).exists()
    again = tasks.bill_automatically.apply().get()
    assert again["bills"] == 0 and Bill.objects.filter(estate=automatic).count() == done["bills"]
    assert FeeSchedule.objects.get(estate=automatic).bills_automatically


def test_a_statement_over_the_limit_is_made_by_a_job_and_downloaded(client, world, pilot, monkeypatch):
    monkeypatch.setattr("fees.views.JOB_ROWS", -1)  # every statement counts as long
    street = world.users[Role.STREET_STAFF]
    login(client, street)
    job = _job(client.get(reverse("fees:export", args=[pilot.pk]), {"kind": "year", "start": "2026-01-01"}))
    assert job.status == JobStatus.DONE and job.result_name.endswith("-year.pdf")
    download = client.get(reverse("community:job_download", args=[job.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    login(client, world.users[Role.COMMUNITY_STAFF])  # not the starter
    assert client.get(reverse("community:job_download", args=[job.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("community:job_download", args=[job.pk])).status_code == 302


def test_a_short_statement_is_still_made_at_once(client, world, pilot):
    login(client, world.users[Role.STREET_STAFF])
    response = client.get(reverse("fees:export", args=[pilot.pk]), {"kind": "year", "start": "2026-01-01"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF") and not Job.objects.exists()


def test_the_statement_job_checks_access_again_when_it_runs(world, pilot):
    outsider = world.users[Role.STREET_STAFF]
    job = jobs.start(
        actor=outsider,
        task=tasks.statement_pdf,
        title="报表",
        params={"estate": world.e4.pk, "kind": "year", "start": "2026-01-01", "base_url": "http://x/"},
    )
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "无权" in job.message and not job.result_file


def test_a_long_fund_split_is_made_by_a_job(client, world, monkeypatch):
    use = _use(world, open_fund(world))
    monkeypatch.setattr("fees.fund.views.JOB_ROWS", -1)  # every split counts as long
    login(client, world.users[Role.STREET_STAFF])
    job = _job(client.get(reverse("fees:fund_use_split", args=[use.pk])))
    assert job.status == JobStatus.DONE and job.result_name == f"fund-use-{use.pk}.pdf"
    assert job.result_file.read().startswith(b"%PDF")
