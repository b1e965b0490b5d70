"""Chinese text for a word-based search index (pure Python).

Search engines split words on spaces, and Chinese has none: SQLite FTS5 and
PostgreSQL would index a whole sentence as one token, and a search for 停水
would never find 小区停水通知. So every run of CJK characters is indexed as its
single characters and its overlapping pairs (bigrams), and a query is cut into
the same pairs. Latin words and numbers pass through as they are.
"""

from __future__ import annotations

import re

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_OTHER_WORD = re.compile(r"[0-9A-Za-z]+")


def _pieces(text: str):
    pos = 0
    for match in _CJK_RUN.finditer(text):
        yield False, text[pos : match.start()]
        yield True, match.group(0)
        pos = match.end()
    yield False, text[pos:]


def index_text(text: str) -> str:
    """Every CJK character and every adjacent pair, plus the other words, space-separated."""
    tokens: list[str] = []
    for is_cjk, piece in _pieces(text or ""):
        if is_cjk:
            tokens.extend(piece)
            tokens.extend(piece[i : i + 2] for i in range(len(piece) - 1))
        else:
            tokens.extend(word.lower() for word in _OTHER_WORD.findall(piece))
    return " ".join(tokens)


def query_terms(query: str) -> list[str]:
    """The terms that must all be present: a CJK run's pairs (or the lone character)."""
    terms: list[str] = []
    for is_cjk, piece in _pieces(query or ""):
        if is_cjk:
            terms.extend([piece] if len(piece) == 1 else [piece[i : i + 2] for i in range(len(piece) - 1)])
        else:
            terms.extend(word.lower() for word in _OTHER_WORD.findall(piece))
    return list(dict.fromkeys(terms))
