from hypothesis import given
from hypothesis import strategies as st

from cms.cjk import index_text, query_terms


def test_chinese_is_indexed_as_characters_and_pairs():
    assert index_text("停水通知") == "停 水 通 知 停水 水通 通知"
    assert index_text("3号楼 Lift 检修") == "3 号 楼 号楼 lift 检 修 检修"


def test_a_query_becomes_the_pairs_it_must_contain():
    assert query_terms("水箱清洗") == ["水箱", "箱清", "清洗"]
    assert query_terms("水") == ["水"]
    assert query_terms("  ") == []


@given(st.text(alphabet="停水通知电梯维修资金公示业主大会", min_size=1, max_size=30), st.data())
def test_every_substring_query_is_covered_by_the_index(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    tokens = set(index_text(text).split())
    assert set(query_terms(text[start:end])) <= tokens
