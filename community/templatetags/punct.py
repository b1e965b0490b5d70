"""Punctuation that follows the page's language: ``{% p "：" %}`` is "：" on a Chinese page and
": " on an English one.

Templates join translated words and data with punctuation of their own (``{% translate "状态" %}：
{{ state }}``). Written literally, a full-width colon or bracket would sit inside an English
sentence. The tag is a builtin (config.settings TEMPLATES), so no template needs to load it.
"""

from django import template
from django.utils.translation import get_language

register = template.Library()

# Full-width mark → what an English sentence uses in its place.
LATIN = {
    "：": ": ",
    "，": ", ",
    "；": "; ",
    "、": ", ",
    "。": ". ",
    "（": " (",
    "）": ")",
    "！": "! ",
    "？": "? ",
}


@register.simple_tag(name="p")
def punctuation(mark: str) -> str:
    if mark not in LATIN:
        raise template.TemplateSyntaxError(f"{{% p %}} knows {''.join(LATIN)}, not {mark!r}")
    return mark if (get_language() or "").startswith("zh") else LATIN[mark]


def bracketed(text: str, note: str) -> str:
    """``text（note）`` on a Chinese page, ``text (note)`` on an English one: for labels built in
    Python (a contract's company and fee mode, a mediator and their position)."""
    return f"{text}{punctuation('（')}{note}{punctuation('）')}"


@register.filter(name="listing")
def listing(items) -> str:
    """``{{ names|listing }}``: joined with "、" in Chinese and ", " in English."""
    return punctuation("、").join(str(i) for i in items)
