"""The vote's record (issue 22): the stored result keeps only true figures (no ``approved`` flag,
and the migration that strips it), service of notice frozen at the close and warned about
while it is incomplete, the public result PDF read back, and the motion vote's window."""

import importlib
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from committees.forms import MotionVoteForm
from committees.models import Vote
from committees.votes import services
from community.models import Role
from notifications import services as notifications
from notifications.models import Channel, Delivery, DeliveryStatus
from tests.factories import BuildingFactory, OwnerFactory, OwnershipFactory, UnitFactory, UserFactory, login

pytestmark = pytest.mark.django_db
strip = importlib.import_module("committees.migrations.0013_result_figures").strip_approved


class Scope:
    """A building of e1 with three holders: 张明 (100 m², an account and a mobile), 王芳 (80 m²,
    neither) and 李雷 with 赵敏 co-owning 120 m² (mobiles only). 300 m², 3 heads."""

    def __init__(self, world):
        self.world = world
        self.building = BuildingFactory(estate=world.e1, name="望江楼")

        def unit(room, area, *owners):
            u = UnitFactory(building=self.building, room=room, registered_area=Decimal(area))
            for o in owners:
                OwnershipFactory(unit=u, owner=o)
            return u

        self.zhang = OwnerFactory(name="张明", mobile="13800000001", user=UserFactory(username="zhang"))
        self.wang = OwnerFactory(name="王芳", mobile="", user=UserFactory(username="wang"))
        self.li = OwnerFactory(name="李雷", mobile="13800000003")
        self.zhao = OwnerFactory(name="赵敏", mobile="13800000004")
        unit("101", "100.00", self.zhang)
        unit("102", "80.00", self.wang)
        unit("201", "120.00", self.li, self.zhao)
        self.committee = world.users[Role.COMMITTEE_MEMBER]

    def convene(self):
        opens = timezone.now() + timedelta(days=16)
        return services.convene_vote(
            actor=self.committee,
            estate=self.world.e1,
            matter=5,
            question="更换望江楼电梯",
            opens_at=opens,
            closes_at=opens + timedelta(days=10),
            buildings=[self.building],
        )

    def run(self, vote):
        """Open the vote now (it was convened ahead, as the notice period asks)."""
        now = timezone.now()
        Vote.objects.filter(pk=vote.pk).update(opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1))
        vote.refresh_from_db()
        return vote

    def end(self, vote):
        now = timezone.now()
        Vote.objects.filter(pk=vote.pk).update(opens_at=now - timedelta(days=3), closes_at=now - timedelta(minutes=1))
        vote.refresh_from_db()
        return vote


@pytest.fixture
def scope(world):
    return Scope(world)


def _serve_by_sms(scope):
    """张's and 李's and 赵's texts go out; 王 has no channel at all."""
    Delivery.objects.filter(channel=Channel.SMS, owner__in=[scope.zhang, scope.li, scope.zhao]).update(
        status=DeliveryStatus.SENT
    )


# --------------------------------------------------------------------------- the stored result


def test_a_closed_result_keeps_no_approved_flag_even_when_every_voter_approved_short_of_quorum(scope):
    vote = scope.run(scope.convene())
    services.cast_ballot(voter=scope.zhang, vote=vote, holder=str(scope.zhang.pk), choice="yes")
    vote = services.close_vote(actor=scope.committee, vote=scope.end(vote))
    result = Vote.objects.get(pk=vote.pk).result
    assert "approved" not in result
    # 1 of 3 heads took part, all of them in favour: the approval shares stay exact, the outcome is not decided.
    assert result["approval_area"] == "1/1" and result["approval_heads"] == "1/1"
    assert result["quorum_met"] is False and result["decided"] is False
    assert result["quorum_heads"] == "1/3" and result["quorum_area"] == "1/3"


def test_the_migration_strips_approved_from_every_stored_result_and_nothing_else(scope):
    vote = scope.run(scope.convene())
    other = scope.convene()
    services.close_vote(actor=scope.committee, vote=scope.end(vote))
    vote.refresh_from_db()
    kept = dict(vote.result)
    Vote.objects.filter(pk=vote.pk).update(result={**kept, "approved": True})
    Vote.objects.filter(pk=other.pk).update(result=None)
    assert strip(apps, None) == 1
    assert Vote.objects.get(pk=vote.pk).result == kept
    assert Vote.objects.get(pk=other.pk).result is None
    assert strip(apps, None) == 0  # run twice, changes nothing


# --------------------------------------------------------------------------- service of notice in the record


def test_service_is_frozen_into_the_result_at_close_counts_only(scope):
    vote = scope.convene()
    _serve_by_sms(scope)
    Delivery.objects.filter(channel=Channel.SMS, owner=scope.li).update(status=DeliveryStatus.FAILED, reason="空号")
    services.record_service(actor=scope.committee, vote=vote, owners=[scope.li], method="in_person")
    vote = services.close_vote(actor=scope.committee, vote=scope.end(vote))
    service = Vote.objects.get(pk=vote.pk).result["service"]
    # 张 (100) and the co-ownership (120: 赵 by text, 李 by hand) are served; 王 (80) is not.
    assert service["heads"] == {"served": 2, "to_serve": 1}
    assert service["area"] == {"served": "220.00", "to_serve": "80.00"}
    assert service["deliveries"][Channel.SMS] == {"queued": 0, "sent": 2, "failed": 1, "read": 0}
    assert service["deliveries"][Channel.INBOX] == {"queued": 0, "sent": 2, "failed": 0, "read": 0}  # unread
    assert service["paper"] == {"posting": 0, "in_person": 1}
    assert service["owners_to_serve"] == 1
    text = str(service)
    assert all(name not in text for name in ("张明", "王芳", "李雷", "赵敏", "13800000001"))

    # Frozen: service recorded after the close changes the live figures, never the record.
    services.record_service(actor=scope.committee, vote=vote, owners=[scope.wang], method="in_person")
    assert Vote.objects.get(pk=vote.pk).result["service"] == service


def test_the_turnout_page_warns_while_service_is_incomplete_and_not_once_complete(client, scope):
    vote = scope.convene()
    url = reverse("committees:turnout", args=[vote.pk])
    login(client, scope.committee)
    before = client.get(url).content.decode()  # convened, not yet open
    assert 'id="service-warning"' in before and "还有 4 位业主（3 份表决权" in before
    assert reverse("committees:service", args=[vote.pk]) in before
    scope.run(vote)
    assert 'id="service-warning"' in client.get(url).content.decode()  # while it runs

    _serve_by_sms(scope)
    services.record_service(actor=scope.committee, vote=vote, owners=[scope.wang], method="in_person")
    body = client.get(url).content.decode()
    assert 'id="service-warning"' not in body and "3 人，300.00 ㎡" in body

    # The close button's page says how many were not served.
    Delivery.objects.filter(owner=scope.li, channel=Channel.SMS).update(status=DeliveryStatus.FAILED, reason="空号")
    scope.end(vote)
    body = client.get(url).content.decode()
    assert 'id="close-unserved"' in body and "仍有 1 位业主（1 份表决权）未送达" in body
    Delivery.objects.filter(owner=scope.li, channel=Channel.SMS).update(status=DeliveryStatus.SENT)
    body = client.get(url).content.decode()
    assert 'id="close-served"' in body and 'id="close-unserved"' not in body

    client.post(url)
    body = client.get(url).content.decode()  # closed: the frozen figures, no warning
    assert 'id="service-warning"' not in body and "结束计票时记入表决结果的送达情况" in body
    assert "当面送达" in body and reverse("committees:result_pdf", args=[vote.pk]) in body


def test_the_turnout_page_stays_quiet_about_service_when_every_owner_was_reached(client, scope):
    vote = scope.convene()
    _serve_by_sms(scope)
    notifications.mark_read(actor=scope.wang.user, delivery=Delivery.objects.get(owner=scope.wang))
    login(client, scope.committee)
    body = client.get(reverse("committees:turnout", args=[vote.pk])).content.decode()
    assert 'id="service-warning"' not in body and "3 人，300.00 ㎡" in body


# --------------------------------------------------------------------------- the result PDF


def pdf_text(content: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the PDF back")
    path = tmp_path / "result.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def _closed(scope):
    vote = scope.convene()
    _serve_by_sms(scope)
    services.record_service(actor=scope.committee, vote=vote, owners=[scope.wang], method="in_person")
    scope.run(vote)
    services.cast_ballot(voter=scope.zhang, vote=vote, holder=str(scope.zhang.pk), choice="yes")
    services.cast_ballot(voter=scope.li, vote=vote, holder=f"{scope.li.pk},{scope.zhao.pk}", choice="no")
    return services.close_vote(actor=scope.committee, vote=scope.end(vote))


def test_the_result_pdf_reads_back_with_figures_and_service_and_no_names(client, scope, tmp_path):
    vote = _closed(scope)
    login(client, scope.committee)
    response = client.get(reverse("committees:result_pdf", args=[vote.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    for words in (
        "江滨豪园业主大会表决结果",
        "更换望江楼电梯",
        "使用建筑物及其附属设施的维修资金",
        "望江楼",  # the scope
        "300.00",  # eligible area
        "220.00",  # participating: 100 + 120
        "2/3",  # 2 of 3 heads took part
        "66.66%",  # 2/3, shown rounded down as every page shows a share
        "未获通过",  # yes 100 of 220 area, 1 of 2 heads: not more than half
        "短信",
        "当面送达",
        "数字指纹",
    ):
        assert words in text, words
    sms = next(line for line in text.splitlines() if line.strip().startswith("短信"))
    assert sms.split()[1:] == ["0", "3", "0", "0"]  # queued, sent, failed, read
    paper = next(line for line in text.splitlines() if line.strip().startswith("当面送达"))
    assert paper.split()[-1] == "1"
    for name in ("张明", "王芳", "李雷", "赵敏", "张**", "王**", "13800000001"):
        assert name not in text, name


def test_the_result_pdf_lists_an_elections_candidates_masked_and_the_proxy_count(client, scope, tmp_path):
    vote = _closed(scope)
    election = {
        "seats": 1,
        "candidates": [
            {"id": 2, "owner": scope.li.pk, "name": "李雷", "position": 2, "area": "120.00", "heads": 1},
            {"id": 1, "owner": scope.zhang.pk, "name": "张明", "position": 1, "area": "100.00", "heads": 1},
        ],
        "elected": [2],
        "lot": [],
        "filled": 1,
        "short": False,
        "committee": None,
    }
    election["candidates"][0].update(area_share="6/11", heads_share="1/2", passed=True, elected=True, rank=1)
    election["candidates"][1].update(area_share="5/11", heads_share="1/2", passed=False, elected=False, rank=2)
    Vote.objects.filter(pk=vote.pk).update(result={**vote.result, "election": election, "by_proxy": 1})
    login(client, scope.committee)
    text = pdf_text(client.get(reverse("committees:result_pdf", args=[vote.pk])).content, tmp_path)
    rows = [line.split() for line in text.splitlines() if "**" in line]
    assert rows[0][:2] == ["1", "张**"] and rows[1][:2] == ["2", "李**"]  # by position
    assert rows[1][-1] == "当选" and rows[0][-1] == "—"
    assert "应选 1 名，当选 1 名" in text and "委托代理人投票：1 份" in text
    assert "张明" not in text and "李雷" not in text


def test_the_result_pdf_escapes_the_question_and_masks_the_owners_named_in_it(client, scope, tmp_path):
    """A removal motion's question names the member; a typed ``<`` is text, not markup."""
    vote = _closed(scope)
    question = "罢免江滨豪园业主委员会委员张明 <b 及 <i>1<2</i> & 李雷"
    Vote.objects.filter(pk=vote.pk).update(question=question)
    login(client, scope.committee)
    response = client.get(reverse("committees:result_pdf", args=[vote.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "委员张** <b 及 <i>1<2</i> & 李**" in text
    assert "张明" not in text and "李雷" not in text


def test_the_result_pdf_is_for_conveners_and_owners_in_scope_only(client, scope, world):
    vote = scope.convene()
    url = reverse("committees:result_pdf", args=[vote.pk])
    login(client, scope.committee)
    assert client.get(url).status_code == 404  # not closed yet
    services.close_vote(actor=scope.committee, vote=scope.end(vote))
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response["Location"]  # anonymous
    allowed = [scope.committee, world.users[Role.COMMUNITY_STAFF], scope.zhang.user, scope.wang.user]
    for user in allowed:
        login(client, user)
        assert client.get(url).status_code == 200, user
    denied = [
        world.owner_user,  # an owner of e1, outside the vote's building
        world.users[Role.STREET_STAFF],
        world.users[Role.DISTRICT_ADMIN],
        world.users[Role.COMPANY_STAFF],
        world.users[Role.GRID_WORKER],
    ]
    for user in denied:
        login(client, user)
        assert client.get(url).status_code == 404, user
    login(client, scope.zhang.user)
    body = client.get(reverse("committees:ballot", args=[vote.pk])).content.decode()
    assert url in body  # the owner's ballot page links it after the close


# --------------------------------------------------------------------------- the motion vote's window


def test_a_motion_vote_must_close_after_it_opens():
    opens = "2026-05-01T09:00"
    form = MotionVoteForm({"opens_at": opens, "closes_at": opens})
    assert not form.is_valid() and "结束时间须晚于开始时间" in str(form.errors["closes_at"])
    form = MotionVoteForm({"opens_at": opens, "closes_at": "2026-04-30T09:00"})
    assert not form.is_valid()
    assert MotionVoteForm({"opens_at": opens, "closes_at": "2026-05-01T09:01"}).is_valid()
