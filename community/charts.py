"""Charts drawn on the server as inline SVG: no script, no external service, readable on a
phone (the drawing scales to the width of its container). Plain Python, no Django."""

from __future__ import annotations

from html import escape

ROW = 26
LABEL = 120
WIDTH = 360
BAR = WIDTH - LABEL - 60


def bars(rows: list[tuple[str, float, str]], *, title: str, colour: str = "#2f6f4e", maximum: float | None = None) -> str:
    """A horizontal bar chart. ``rows`` are (label, value, value as printed); values are >= 0.
    ``maximum`` fixes the full-width value (1 for a rate); otherwise the largest value."""
    top = maximum if maximum is not None else max((v for _, v, _ in rows), default=0)
    height = ROW * max(len(rows), 1) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    if not rows:
        parts.append(f'<text x="0" y="18" font-size="12" fill="#666">{escape("—")}</text>')
    for i, (label, value, printed) in enumerate(rows):
        y = i * ROW + 4
        width = 0 if not top else max(0.0, min(1.0, value / top)) * BAR
        short = label if len(label) <= 9 else label[:8] + "…"
        parts.append(
            f'<text x="{LABEL - 6}" y="{y + 15}" font-size="12" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{width:.1f}" height="16" fill="{colour}" rx="2"/>'
            f'<text x="{LABEL + width + 4:.1f}" y="{y + 15}" font-size="12">{escape(printed)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
