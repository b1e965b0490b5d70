"""The demo's owner accounts: 江滨豪园 bound throughout (but for one co-owned unit, kept for the
README's walk with a letter), the other pilot estates about half bound, and a request waiting in
the community's queue.

Thousands of accounts are made in bulk, with one password hash for all (``demo2021``, the
demo's password; an owner signs in with the account's mobile number). Each is recorded as a
``Binding`` from the registry, the way an owner with no letter binds. The request goes through
the real service, proof and all.
"""

from __future__ import annotations

import io
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from PIL import Image, ImageDraw

from community.demo import DEMO_PASSWORD, PILOT_ESTATES, password_hash
from community.identifiers import resident_id_check_digit
from community.models import Estate, Job, Owner, Ownership, Unit, in_force_q

from . import codes, services
from .models import Binding, BindingRequest, BindingVia, VerifiedMobile

WALK_ESTATE = "E0001"  # 江滨豪园
PARTLY = 0.5  # the share of owners bound in the other pilot estates
APPLICANT = "13800138000"  # the demo's request for binding comes from this account
DEMO_ID = "35040419900315003" + resident_id_check_digit("35040419900315003")


def walk_unit() -> Unit | None:
    """The co-owned unit of 江滨豪园 left unbound for the README: of those where a co-owner has an
    ID number registered (so can bind with the letter), the one where most have."""
    held = in_force_q(timezone.localdate(), "ownerships__")
    return (
        Unit.objects.filter(building__estate__code=WALK_ESTATE)
        .annotate(
            owners=Count("ownerships", filter=held),
            without_id=Count("ownerships", filter=held & Q(ownerships__owner__id_number="")),
        )
        .filter(owners__gte=2, without_id__lt=F("owners"))
        .select_related("building__estate")
        .order_by("without_id", "building_id", "room")
        .first()
    )


def bind_in_bulk(owners: list[Owner]) -> int:
    """Accounts for ``owners`` (login: the mobile, the demo password), bound from the registry.
    Other demos use it for the few accounts their story needs before this demo binds the rest."""
    User = get_user_model()
    taken = set(User.objects.values_list("username", flat=True)) | set(
        VerifiedMobile.objects.values_list("mobile", flat=True)
    )
    password = password_hash()
    accounts, mobiles = [], []
    for owner in owners:
        name = owner.mobile if owner.mobile and owner.mobile not in taken else f"owner{owner.pk}"
        taken.add(name)
        accounts.append(User(username=name, password=password, first_name=owner.name[:150]))
        mobiles.append(owner.mobile if name == owner.mobile else "")
    with transaction.atomic():
        User.objects.bulk_create(accounts, batch_size=500)
        made = {u.username: u for u in User.objects.filter(username__in=[a.username for a in accounts])}
        for owner, account in zip(owners, accounts, strict=True):
            owner.user = made[account.username]
        Owner.objects.bulk_update(owners, ["user"], batch_size=500)
        VerifiedMobile.objects.bulk_create(
            [VerifiedMobile(user=made[a.username], mobile=m) for a, m in zip(accounts, mobiles, strict=True) if m],
            batch_size=500,
        )
        Binding.objects.bulk_create(
            [
                Binding(owner=o, user=o.user, via=BindingVia.REGISTRY, mobile=m)
                for o, m in zip(owners, mobiles, strict=True)
            ],
            batch_size=500,
        )
    return len(owners)


def _unbound_owners(estate: Estate, keep_out: Unit | None) -> list[Owner]:
    held = Ownership.objects.in_force().filter(unit__building__estate=estate)
    if keep_out is not None:
        held = held.exclude(unit=keep_out)
    owners = Owner.objects.filter(pk__in=held.values("owner"), user__isnull=True).order_by("pk")
    if keep_out is not None:  # a co-owner of the walk's unit who holds another unit too stays unbound
        owners = owners.exclude(pk__in=Ownership.objects.in_force().filter(unit=keep_out).values("owner"))
    return list(owners)


def _proof() -> SimpleUploadedFile:
    picture = Image.new("RGB", (480, 320), (250, 248, 240))
    ImageDraw.Draw(picture).rectangle((12, 12, 468, 308), outline=(139, 26, 26), width=4)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return SimpleUploadedFile("proof.png", out.getvalue(), "image/png")


def _request(log) -> None:
    """An owner the registry holds without an ID number cannot be matched, so asks with a proof:
    a unit of the pilot estate beside 江滨豪园 in 新村社区, whose owner has no account yet."""
    User = get_user_model()
    if BindingRequest.objects.exists():
        return
    walk = Estate.objects.get(code=WALK_ESTATE)
    estate = (
        Estate.objects.filter(grid__community=walk.grid.community, name__in=PILOT_ESTATES)
        .exclude(pk=walk.pk)
        .order_by("code")
        .first()
    )
    held = Ownership.objects.in_force().filter(
        unit__building__estate=estate, owner__user__isnull=True, owner__id_number="", owner__kind="person"
    )
    ownership = held.select_related("unit__building", "owner").order_by("-unit__building_id", "-unit__room").first()
    if ownership is None:
        return
    applicant, _created = User.objects.get_or_create(username=APPLICANT, defaults={"first_name": "申请人"})
    applicant.password = password_hash()
    applicant.save()
    VerifiedMobile.objects.get_or_create(user=applicant, defaults={"mobile": APPLICANT})
    unit = ownership.unit
    services.submit_request(
        actor=applicant,
        name=ownership.owner.name,
        id_number=DEMO_ID,
        estate=estate,
        building_name=unit.building.name,
        room=unit.room,
        proof=_proof(),
    )
    log(
        f"绑定申请：{APPLICANT}（密码 {DEMO_PASSWORD}）以业主 {ownership.owner.name} 的名义申请绑定 "
        f"{estate.name} {unit}（登记中无证件号码，无法自动核验），等待 community 审核"
    )


def _letter_set(log) -> None:
    """One printed set the community's staff can download again from their jobs page (/jobs/):
    the letters of 江滨豪园's 2号楼, printed as the page prints a long set."""
    from community import jobs

    from .tasks import binding_letters

    User = get_user_model()
    staff = User.objects.filter(username="community").first()
    estate = Estate.objects.get(code=WALK_ESTATE)
    building = estate.buildings.order_by("id")[1:2].first()
    if staff is None or building is None or Job.objects.filter(kind=binding_letters.name).exists():
        return
    started = jobs.start(
        actor=staff,
        task=binding_letters,
        title=f"{estate.name} {building.name} 绑定函",
        params={"estate": estate.pk, "building": building.pk, "base_url": settings.SITE_URL},
    )
    state = started.get_status_display()
    log(f"绑定函：community 已打印 {estate.name} {building.name} 的绑定函（{state}，/jobs/ 可下载）")


def build(*, today, progress=None, log=print):
    rng = random.Random(21)
    walk = walk_unit()
    bound = 0
    for name in PILOT_ESTATES:
        estate = Estate.objects.get(name=name)
        owners = _unbound_owners(estate, walk if estate.code == WALK_ESTATE else None)
        if estate.code != WALK_ESTATE:
            owners = [o for o in owners if rng.random() < PARTLY]
        bound += bind_in_bulk(owners)
    log(f"业主账号：试点小区共绑定 {bound} 个业主账号（登录名为手机号，密码 {DEMO_PASSWORD}）")
    _request(log)
    _letter_set(log)
    if walk is not None and settings.DEBUG:
        for ownership in Ownership.objects.in_force().filter(unit=walk).select_related("owner").order_by("owner_id"):
            log(
                f"绑定演示：{walk.building.estate.name} {walk} 的共有人 {ownership.owner.name} 尚未绑定，"
                f"证件号码后六位 {codes.id_tail(ownership.owner)}"
            )
    return []
