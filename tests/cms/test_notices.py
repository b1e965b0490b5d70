import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cms import services
from cms.models import NOTICES_PER_CATEGORY, EstatePage, NoticePage
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory

pytestmark = pytest.mark.django_db

PERSONAL = {
    "name": "欧阳建国",
    "mobile": "13912345678",
    "id": "11010519491231002X",
}


def _draft(estate, **kwargs):
    values = dict(estate=estate, category="general", title="停水通知", body="明日停水。")
    values.update(kwargs)
    return services.draft_notice(**values)


def test_a_draft_is_unpublished_and_invisible_to_the_public(world, client):
    notice = _draft(world.e1)
    assert not notice.live and notice.latest_revision is not None
    assert notice.get_parent().specific == EstatePage.objects.get(estate=world.e1)
    assert client.get(notice.url or f"/{notice.url_path}").status_code == 404
    assert "停水通知" not in client.get(notice.get_parent().url).content.decode()


def test_draft_notice_masks_every_piece_of_personal_data_before_it_is_stored(world, client):
    owner = OwnerFactory(name=PERSONAL["name"], mobile=PERSONAL["mobile"], id_number=PERSONAL["id"])
    OwnershipFactory(unit=UnitFactory(building__estate=world.e1, room="808"), owner=owner)
    notice = _draft(
        world.e1,
        title=f"关于{PERSONAL['name']}欠费的催告",
        body=(
            f"业主{PERSONAL['name']}（8号楼-808，电话{PERSONAL['mobile']}，身份证{PERSONAL['id']}）"
            f"已欠费 12 个月。调解员王小明（13700001111）参与了协商。"
        ),
        people=["王小明"],
        publicity_days=7,
    )
    services.publish_notice(actor=None, notice=notice)
    page = client.get(notice.url).content.decode()
    for secret in (PERSONAL["name"], PERSONAL["mobile"], PERSONAL["id"], "王小明", "13700001111", "19491231"):
        assert secret not in page, secret
    assert "欧**" in page and "139****5678" in page and "808" in page
    stored = NoticePage.objects.get(pk=notice.pk)
    assert PERSONAL["mobile"] not in stored.body and PERSONAL["name"] not in stored.title


def test_an_editor_typing_a_mobile_number_into_a_notice_gets_it_masked(world):
    notice = _draft(world.e1)
    notice.body = "<p>联系人电话 13800138000</p>"
    notice.full_clean()
    assert "13800138000" not in notice.body and "138****8000" in notice.body


def test_publicity_period_counts_today_and_shows_what_is_left(world, client):
    notice = _draft(world.e1, publicity_days=15)
    today = timezone.localdate()
    assert notice.publicity_start == today and notice.publicity_end == today + timedelta(days=14)
    assert notice.publicity_days == 15 and notice.remaining_days(today) == 15
    assert notice.remaining_days(notice.publicity_end) == 1
    assert notice.remaining_days(notice.publicity_end + timedelta(days=1)) is None
    services.publish_notice(actor=None, notice=notice)
    text = re.sub(r"\s+", " ", client.get(notice.url).content.decode())
    assert "公示期 15 天" in text and "剩余 15 天" in text


def test_an_expired_notice_moves_to_the_archive_but_stays_readable(world, client):
    old = _draft(world.e1, title="旧公示", publicity_days=7)
    old.publicity_start -= timedelta(days=30)
    old.publicity_end -= timedelta(days=30)
    old.save_revision()
    services.publish_notice(actor=None, notice=old)
    new = _draft(world.e1, title="新公告")
    services.publish_notice(actor=None, notice=new)
    body = client.get(EstatePage.objects.get(estate=world.e1).url).content.decode()
    assert body.index("新公告") < body.index("旧公示") and "已归档" in body
    page = client.get(old.url).content.decode()
    assert "公示期已满" in page


def test_a_publicity_without_dates_is_refused(world):
    notice = _draft(world.e1, publicity_days=7)
    notice.publicity_end = None
    with pytest.raises(ValidationError):
        notice.full_clean()


def test_bad_input_to_draft_notice_writes_nothing(world):
    before = NoticePage.objects.count()
    with pytest.raises(ValidationError):
        _draft(world.e1, category="gossip")
    with pytest.raises(ValidationError) as exc:
        _draft(world.e1, attachments=[("账目.xlsx", b"PK\x03\x04...")])
    assert "不是 PDF" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        _draft(world.e1, attachments=[("伪装.pdf", b"<html>")])
    assert NoticePage.objects.count() == before


def test_a_pdf_attachment_is_listed_on_the_notice(world, client):
    notice = _draft(world.e1, attachments=[("收支表.pdf", b"%PDF-1.4\n%%EOF\n")])
    services.publish_notice(actor=None, notice=notice)
    page = client.get(notice.url).content.decode()
    assert "收支表" in page and "/documents/" in page


def test_estate_page_query_count_is_fixed(world, client, django_assert_max_num_queries):
    estate_url = EstatePage.objects.get(estate=world.e1).url
    services.publish_notice(actor=None, notice=_draft(world.e1, title="第一条"))
    with django_assert_max_num_queries(20) as few:
        client.get(estate_url)
    for i in range(25):
        services.publish_notice(actor=None, notice=_draft(world.e1, title=f"公告{i}", publicity_days=(i % 3) or None))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(estate_url)
    [general] = response.context["groups"]  # a few of each category, and how many there are
    assert general.total == 26 and len(general.notices) == NOTICES_PER_CATEGORY
    listed = client.get(estate_url, {"category": "general"})  # the category's own list, a page at a time
    assert listed.context["notices"].paginator.count == 26
    assert len(listed.context["notices"].object_list) == 10


def test_each_notice_has_a_share_link(world, client):
    notice = services.publish_notice(actor=None, notice=_draft(world.e1))
    assert f"http://testserver{notice.url}" in client.get(notice.url).content.decode()


def test_search_finds_chinese_words_within_the_district_only(world, client):
    services.publish_notice(actor=None, notice=_draft(world.e1, title="二次供水水箱清洗停水公示"))
    services.publish_notice(actor=None, notice=_draft(world.e5, title="另一区的停水公示"))
    services.publish_notice(actor=None, notice=_draft(world.e2, title="电梯年检", body="三号电梯年度检验。"))
    unpublished = _draft(world.e1, title="尚未发布的停水稿")
    body = client.get("/search/", {"q": "停水"}).content.decode()
    assert "二次供水水箱清洗停水公示" in body
    assert "另一区" not in body and unpublished.title not in body
    body = client.get("/search/", {"q": "年度检验"}).content.decode()
    assert "电梯年检" in body
    assert "找到 0 条" in client.get("/search/", {"q": "不存在的词语"}).content.decode()
