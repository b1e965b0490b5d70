"""{% p %} and |listing: full-width punctuation on a Chinese page, Latin on an English one."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

PAGE = Template(
    '{% load i18n %}{% translate "状态" %}{% p "：" %}{{ state }}{% p "（" %}{{ names|listing }}{% p "）" %}'
)


def _render(language):
    with translation.override(language):
        return PAGE.render(Context({"state": "OK", "names": ["A", "B"]}))


def test_chinese_pages_keep_full_width_marks():
    assert _render("zh-hans") == "状态：OK（A、B）"


def test_english_pages_get_latin_marks():
    assert _render("en") == "Status: OK (A, B)"


def test_an_unknown_mark_is_a_template_error():
    with pytest.raises(TemplateSyntaxError):
        Template('{% p "x" %}').render(Context())
