"""Charts drawn on the server as inline SVG, shared by every app: no script, no external
service, readable on a phone (the drawing scales to the width of its container).
Plain Python, no Django.

A row or a point may carry a link (its fourth item): the bar or column then opens the list
behind the figure, so every number drawn can be followed to its rows.
"""

from __future__ import annotations

from html import escape

ROW = 26
LABEL = 120
WIDTH = 360
BAR = WIDTH - LABEL - 60
COLUMNS_HEIGHT = 150


def _text_width(text: str, size: float) -> float:
    """About how wide ``text`` is drawn at ``size``: a Han character a full em, others ~0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def _open(title: str, height: int, *, linked: bool = False) -> list[str]:
    # An image's parts are not announced, so a chart whose bars are links is a group of them.
    role = "group" if linked else "img"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="{role}" '
        f'aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]


def _linked(part: str, href: str | None, label: str) -> str:
    if not href:
        return part
    return f'<a href="{escape(href)}" aria-label="{escape(label)}">{part}</a>'


def bars(rows: list[tuple], *, title: str, colour: str = "#2f6f4e", maximum: float | None = None) -> str:
    """A horizontal bar chart. ``rows`` are (label, value, value as printed[, link]); values are >= 0.
    ``maximum`` fixes the full-width value (1 for a rate); otherwise the largest value."""
    top = maximum if maximum is not None else max((r[1] for r in rows), default=0)
    height = ROW * max(len(rows), 1) + 8
    parts = _open(title, height, linked=any(r[3:4] and r[3] for r in rows))
    if not rows:
        parts.append(f'<text x="0" y="18" font-size="12" fill="#666">{escape("—")}</text>')
    for i, (label, value, printed, *link) in enumerate(rows):
        y = i * ROW + 4
        width = 0 if not top else max(0.0, min(1.0, value / top)) * BAR
        short = label if len(label) <= 9 else label[:8] + "…"
        parts.append(
            _linked(
                f'<text x="{LABEL - 6}" y="{y + 15}" font-size="12" text-anchor="end">{escape(short)}</text>'
                f'<rect x="{LABEL}" y="{y + 3}" width="{width:.1f}" height="16" fill="{colour}" rx="2"/>'
                f'<text x="{LABEL + width + 4:.1f}" y="{y + 15}" font-size="12">{escape(printed)}</text>',
                link[0] if link else None,
                f"{label} {printed}",
            )
        )
    parts.append("</svg>")
    return "".join(parts)


def columns(points: list[tuple], *, title: str, colours: tuple[str, ...] = ("#2f6f4e", "#8a5a00")) -> str:
    """Vertical columns over time, one group per point: (label, [values], [printed], [links]).
    Several values per point draw side by side in ``colours`` (opened and closed in a month);
    a single series is a list of one."""
    series = max((len(p[1]) for p in points), default=1)
    top = max((v for p in points for v in p[1]), default=0)
    height, base, chart = COLUMNS_HEIGHT, COLUMNS_HEIGHT - 20, COLUMNS_HEIGHT - 40
    parts = _open(title, height, linked=any(any(p[3]) for p in points if len(p) > 3))
    if not points:
        parts.append(f'<text x="0" y="18" font-size="12" fill="#666">{escape("—")}</text>')
    slot = WIDTH / max(len(points), 1)
    width = max(2.0, (slot - 4) / series)
    # On a phone the drawing is as wide as its viewBox: a label wider than its slot would run
    # into the next one, so only every step-th label is written, and a value is written over
    # its column only where it fits (every value stays in the column's link and tooltip).
    step = max(1, max((-(-_text_width(p[0], 10) // (slot - 2)) for p in points), default=1))
    for i, (label, values, printed, *rest) in enumerate(points):
        links = rest[0] if rest else [None] * len(values)
        x0 = i * slot + 2
        for k, value in enumerate(values):
            h = 0 if not top else value / top * chart
            x = x0 + k * width
            parts.append(
                _linked(
                    f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{width - 1:.1f}" height="{h:.1f}" '
                    f'fill="{colours[k % len(colours)]}"><title>{escape(label)} {escape(printed[k])}</title></rect>'
                    + (
                        f'<text x="{x + width / 2:.1f}" y="{base - h - 3:.1f}" font-size="9" text-anchor="middle">'
                        f"{escape(printed[k])}</text>"
                        if _text_width(printed[k], 9) <= width + 1
                        else ""
                    ),
                    links[k],
                    f"{label} {printed[k]}",
                )
            )
        if i % step == 0:
            parts.append(
                f'<text x="{x0 + (slot - 4) / 2:.1f}" y="{height - 6}" font-size="10" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
