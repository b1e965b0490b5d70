import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from committees.exams.bank_import import HEADERS, parse
from committees.models import Question
from community.models import Role
from tests.factories import login

GOOD = [
    ["业主共同决定与表决", "单选题", "测试单选题题干", "民法典第278条", "甲", "乙", "丙", "", "", "", "B", "解析一"],
    ["专项维修资金", "多选题", "测试多选题题干", "维修资金办法", "甲", "乙", "丙", "丁", "", "", "ACD", "解析二"],
    ["人民调解", "判断题", "测试判断题题干", "人民调解法第4条", "", "", "", "", "", "", "错", "解析三"],
]


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_clean_spreadsheet_parses_into_questions():
    entries, errors = parse("bank.xlsx", _xlsx(GOOD))
    assert errors == []
    assert [e[1] for e in entries] == ["single", "multiple", "true_false"]
    assert entries[1][4] == "*甲|乙|*丙|*丁" and entries[2][4] == "对|*错"


def test_every_bad_row_is_reported_with_its_row_and_column():
    bad = GOOD + [
        ["天气", "单选题", "坏主题", "x", "甲", "乙", "", "", "", "", "A", "y"],
        ["人民调解", "单选题", "两个答案", "x", "甲", "乙", "", "", "", "", "AB", "y"],
        ["人民调解", "多选题", "答案超出选项", "x", "甲", "乙", "", "", "", "", "C", "y"],
        ["人民调解", "判断题", "判断题乱填", "x", "", "", "", "", "", "", "是", "y"],
        ["人民调解", "单选题", '=HYPERLINK("http://x")', "x", "甲", "乙", "", "", "", "", "A", "y"],
        ["人民调解", "单选题", "测试单选题题干", "x", "甲", "乙", "", "", "", "", "A", "y"],
    ]
    _entries, errors = parse("bank.xlsx", _xlsx(bad))
    text = [str(e) for e in errors]
    assert "第 5 行“主题”" in text[0]
    assert any(t.startswith("第 6 行“正确答案”") for t in text)
    assert any(t.startswith("第 7 行“正确答案”") for t in text)
    assert any(t.startswith("第 8 行“正确答案”") for t in text)
    assert any(t.startswith("第 9 行“题干”") and "公式" in t for t in text)
    assert any(t.startswith("第 10 行“题干”") and "重复" in t for t in text)


@pytest.mark.parametrize(
    "name,content,needle",
    [
        ("bank.txt", b"MZ\x90\x00\x03\x00", "只接受"),
        ("bank.csv", "题目,答案\n".encode(), "表头"),
        ("bank.xlsx", b"not a zip", "表头"),  # text, whatever its name: read as a CSV and refused
        ("bank.xlsx", b"PK\x03\x04 not a zip", "只接受"),
        ("bank.csv", (",".join(HEADERS) + "\n" + "\n" * 5).encode(), "没有试题"),
        (
            "bank.csv",
            (",".join(HEADERS) + "\n" + "人民调解,单选题," + "长" * 1200 + ",x,甲,乙,,,,,A,y\n").encode(),
            "超过",
        ),
    ],
)
def test_hostile_or_empty_files_get_a_clear_refusal(name, content, needle):
    _entries, errors = parse(name, content)
    assert errors and needle in str(errors[0]) + "".join(str(e) for e in errors)


@pytest.mark.django_db
def test_the_command_imports_all_or_nothing(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_xlsx(GOOD + [["天气", "单选题", "坏", "x", "甲", "乙", "", "", "", "", "A", "y"]]))
    with pytest.raises(CommandError) as exc:
        call_command("import_question_bank", str(bad))
    assert "第 5 行" in str(exc.value)
    assert not Question.objects.exists()
    good = tmp_path / "good.xlsx"
    good.write_bytes(_xlsx(GOOD))
    call_command("import_question_bank", str(good))
    call_command("import_question_bank", str(good))  # again: nothing duplicated
    assert Question.objects.count() == 3


@pytest.mark.django_db
def test_the_admin_upload_lists_errors_and_imports_nothing(client, world):
    login(client, world.users[Role.DISTRICT_ADMIN])
    url = reverse("admin:committees_question_import")
    bad = SimpleUploadedFile("bad.xlsx", _xlsx([["天气", "单选题", "坏", "x", "甲", "乙", "", "", "", "", "A", "y"]]))
    page = client.post(url, {"file": bad}).content.decode()
    assert "第 2 行" in page and "未导入任何试题" in page and not Question.objects.exists()
    response = client.post(url, {"file": SimpleUploadedFile("good.xlsx", _xlsx(GOOD))})
    assert response.status_code == 302 and Question.objects.count() == 3
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert client.get(url).status_code == 403
