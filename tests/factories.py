"""Factories for the whole suite. Identifiers are generated valid with the real check functions."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from community import models, services
from community.identifiers import resident_id_check_digit, uscc_check_char
from community.tenure import services as tenure

PASSWORD = "pw-for-tests"


def valid_uscc(n: int, prefix: str = "TF") -> str:
    body = f"91350404{prefix}{n:07d}"
    return body + uscc_check_char(body)


def valid_resident_id(n: int) -> str:
    body = f"350404198001{n % 28 + 1:02d}{n % 1000:03d}"
    return body + resident_id_check_digit(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.District

    name = factory.Sequence(lambda n: f"测试区{n}")
    code = factory.Sequence(lambda n: f"D{n:03d}")


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Street

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"街道{n}")
    code = factory.Sequence(lambda n: f"S{n:04d}")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Community

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"社区{n}")
    code = factory.Sequence(lambda n: f"C{n:04d}")


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Grid

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"网格{n}")
    code = factory.Sequence(lambda n: f"G{n:04d}")


class EstateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Estate

    grid = factory.SubFactory(GridFactory)
    name = factory.Sequence(lambda n: f"测试小区{n}")
    code = factory.Sequence(lambda n: f"E{n:05d}")
    delivered_on = date(2015, 1, 1)


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Building

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"{n}号楼")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Unit

    building = factory.SubFactory(BuildingFactory)
    room = factory.Sequence(lambda n: f"{n:04d}")
    registered_area = Decimal("89.50")


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Owner

    name = factory.Sequence(lambda n: f"张{n}")
    mobile = factory.Sequence(lambda n: f"138{n:08d}")


class OwnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Ownership

    unit = factory.SubFactory(UnitFactory)
    owner = factory.SubFactory(OwnerFactory)
    started_on = date(2016, 1, 1)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PropertyCompany

    name = factory.Sequence(lambda n: f"测试物业{n}有限公司")
    uscc = factory.Sequence(lambda n: valid_uscc(n + 1))


def contract(estate, company=None, *, starts_on=date(2020, 1, 1), ends_on=date(2030, 12, 31), mode="lump_sum"):
    return tenure.sign_contract(
        actor=None, estate=estate, company=company or CompanyFactory(), mode=mode, starts_on=starts_on, ends_on=ends_on
    )


def second_factor_code(user) -> str:
    """A fresh one-time code on the test user's own static device, as a recovery code would be."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device, _ = StaticDevice.objects.get_or_create(user=user, name="tests", defaults={"confirmed": True})
    token = StaticToken.random_token()
    device.token_set.create(token=token)
    return token


def login(client, user, *, second_factor=True):
    """Sign in through the real pages: the password form (django-axes watches it), then the
    second factor for whoever must pass it (staff always; an owner who turned it on)."""
    from community import identity

    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, f"sign-in refused for {user.username}"
    if second_factor and identity.second_factor_required(user):
        response = client.post("/login/otp/", {"token": second_factor_code(user)})
        assert response.status_code == 302 and "/login/" not in response["Location"], "second factor refused"


def user_with_role(role, scope, username=None):
    user = UserFactory(username=username) if username else UserFactory()
    services.assign_role(actor=None, user=user, role=role, scope=scope)
    return user
