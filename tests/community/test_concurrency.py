"""Races that only a real database with row locks can show (PostgreSQL pass)."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from community.models import ServiceContract
from community.tenure import services
from tests.factories import CompanyFactory, EstateFactory

ATTEMPTS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_overlapping_contracts_leave_exactly_one():
    estate = EstateFactory()
    companies = [CompanyFactory() for _ in range(ATTEMPTS)]
    barrier = threading.Barrier(ATTEMPTS)
    outcomes = []

    def sign(company):
        try:
            barrier.wait()
            services.sign_contract(
                actor=None,
                estate=estate,
                company=company,
                mode="lump_sum",
                starts_on=date(2024, 1, 1),
                ends_on=date(2026, 12, 31),
            )
            outcomes.append("signed")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(c,)) for c in companies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * (ATTEMPTS - 1) + ["signed"]
    assert ServiceContract.objects.filter(estate=estate).count() == 1
