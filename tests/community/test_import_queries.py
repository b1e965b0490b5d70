"""The registry import asks a fixed number of questions, however many rows the file has:
lookups come from maps built with one query per table, and the writes go in whole batches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.import_services import import_registry
from community.models import Owner, Ownership, Role, Unit
from community.registry_import import HEADERS
from tests.factories import valid_resident_id


def _file(building: str, count: int, first: int) -> bytes:
    """``count`` units in one building, each with an owner (ID number and mobile), every fifth
    with a co-owner row; owners numbered from ``first``."""
    lines = [",".join(HEADERS)]
    for n in range(count):
        person = first + n
        owner = f"自然人,业主{person},{valid_resident_id(person)},137{person:08d}"
        lines.append(f"{building},{n + 101},1,89.50,,,是,{owner},2021-06-30")
        if n % 5 == 0:
            lines.append(f"{building},{n + 101},,,,,,自然人,共有人{person},,136{person:08d},2021-06-30")
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def _queries(world, building, count, first) -> int:
    estate, staff = world.e2, world.users[Role.COMMUNITY_STAFF]
    with CaptureQueriesContext(connection) as queries:
        plan = import_registry(actor=staff, estate=estate, name="f.csv", content=_file(building, count, first))
    assert plan.errors == [] and len(plan.new_units) == count
    return len(queries)


@pytest.mark.django_db
def test_an_import_of_500_rows_asks_as_many_queries_as_one_of_50(world):
    _queries(world, "1号楼", 5, 500)  # the first also reads the user's grants (access caches them on the user)
    small = _queries(world, "50号楼", 50, 1000)
    large = _queries(world, "500号楼", 500, 2000)
    assert small == large
    assert Unit.objects.filter(building__name="500号楼").count() == 500
    assert Owner.objects.filter(mobile__startswith="136").count() == 1 + 10 + 100  # the co-owners
    assert Ownership.objects.filter(unit__building__name="500号楼").count() == 600
