"""Marks the floors above put on public notices: a decision a court revoked is shown as
"已被人民法院撤销（日期）" on its notice, wherever a list or the notice itself is shown.

cms does not import the apps that publish through it; an app registers a function
``marks(notice_ids) -> {notice id: text}`` from its ``AppConfig.ready()``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

Marker = Callable[[list[int]], dict[int, str]]
_MARKERS: list[Marker] = []


def register_notice_marks(marker: Marker) -> None:
    if marker not in _MARKERS:
        _MARKERS.append(marker)


def marks(notice_ids: Iterable[int]) -> dict[int, str]:
    """{notice id: its marks, joined}: each registered marker asks once for all the ids."""
    ids = [pk for pk in notice_ids if pk is not None]
    found: dict[int, list[str]] = {}
    if ids:
        for marker in _MARKERS:
            for pk, text in marker(ids).items():
                found.setdefault(pk, []).append(text)
    return {pk: "；".join(texts) for pk, texts in found.items()}


def mark(notices) -> list:
    """The notices as a list, each with ``.mark`` ("" when none)."""
    notices = list(notices)
    found = marks(n.pk for n in notices)
    for notice in notices:
        notice.mark = found.get(notice.pk, "")
    return notices
