"""Handling units (处置单位): the organisations cases are dispatched to, each with its own logins.

A property company's unit is made the first time one of its estates needs it (``company_unit``),
so its staff act on cases through the company role they already hold; a utility's or a
department's unit is registered by the district and its staff hold ``Role.UNIT_STAFF`` on it.
"""

from __future__ import annotations

from community.models import District, PropertyCompany

from .models import HandlingUnit, UnitKind


def company_unit(company: PropertyCompany, *, district: District) -> HandlingUnit:
    """The handling unit that stands for ``company`` (created in ``district`` the first time)."""
    unit = HandlingUnit.objects.filter(company=company).first()
    if unit is None:
        unit, _ = HandlingUnit.objects.get_or_create(
            company=company, defaults={"district": district, "name": company.name, "kind": UnitKind.COMPANY}
        )
    return unit
