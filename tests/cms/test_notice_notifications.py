"""A published notice is told to the current owners under it, once (issue 19)."""

import pytest

from cms import services
from cms.models import NoticePage
from community.models import Role
from notifications.models import Delivery, Event, Message
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory

pytestmark = pytest.mark.django_db


def _draft(**kwargs):
    return services.draft_notice(
        category=kwargs.pop("category", "general"), title="二次供水水箱清洗", body="周三停水。", **kwargs
    )


def _owners_told(notice):
    return set(
        Delivery.objects.filter(message__event=Event.NOTICE_PUBLISHED, message__subject_id=notice.pk).values_list(
            "owner_id", flat=True
        )
    )


def test_an_estate_notice_is_told_to_that_estates_current_owners_once(world):
    former = OwnerFactory(name="旧业主")
    OwnershipFactory(unit=UnitFactory(building__estate=world.e1), owner=former, ended_on="2020-01-01")
    notice = services.publish_notice(actor=world.users[Role.COMMITTEE_MEMBER], notice=_draft(estate=world.e1))
    assert _owners_told(notice) == {world.resident.pk}  # not 李四光 of e2, not the former owner
    message = Message.objects.get(event=Event.NOTICE_PUBLISHED)
    assert message.link == notice.get_url() and "二次供水水箱清洗" in message.title
    services.publish_notice(actor=None, notice=notice)  # republished: told once
    assert Message.objects.filter(event=Event.NOTICE_PUBLISHED).count() == 1


def test_a_community_notice_reaches_its_estates_and_a_district_or_vote_notice_no_one(world):
    notice = services.publish_notice(actor=None, notice=_draft(community=world.e1.grid.community))
    assert len(_owners_told(notice)) == 2  # the owners of e1 and e2, both in that community
    services.publish_notice(actor=None, notice=_draft(estate=world.e1, category="votes"))
    district_page = services.ensure_page(world.e1.grid.community.street.district)
    district_notice = NoticePage(title="全区燃气安全检查", body="<p>全区入户检查。</p>", issuer="区城管局", live=False)
    district_page.add_child(instance=district_notice)
    district_notice.save_revision()
    services.publish_notice(actor=None, notice=district_notice)
    assert NoticePage.objects.live().count() == 3
    assert Message.objects.filter(event=Event.NOTICE_PUBLISHED).count() == 1


def test_a_notice_entered_with_a_past_publication_date_is_no_news(world):
    from datetime import timedelta

    from django.utils import timezone

    old = _draft(estate=world.e1)
    old.first_published_at = timezone.now() - services.NEWS_AGE - timedelta(minutes=1)  # a record of an old notice
    services.publish_notice(actor=None, notice=old)
    assert _owners_told(old) == set()
    recent = _draft(estate=world.e1)
    recent.first_published_at = timezone.now() - services.NEWS_AGE + timedelta(minutes=1)
    services.publish_notice(actor=None, notice=recent)
    assert _owners_told(recent) == {world.resident.pk}
