"""The server-drawn charts stay legible at a phone's width: no two labels overlap."""

import re

from community import charts
from community.charts import WIDTH, _text_width, columns


def _labels(svg, size):
    return [
        (float(x), text)
        for x, text in re.findall(
            rf'<text x="([\d.]+)" y="[\d.]+" font-size="{size}" text-anchor="middle">([^<]*)</text>', svg
        )
    ]


def test_a_year_of_months_keeps_its_labels_apart():
    points = [(f"2025-{m:02d}", [120 + m, 110 + m], [str(120 + m), str(110 + m)]) for m in range(1, 13)]
    svg = columns(points, title="每月案件")
    drawn = _labels(svg, 10)
    assert 2 <= len(drawn) < 12 and drawn[0][1] == "2025-01"
    for (x1, t1), (x2, t2) in zip(drawn, drawn[1:], strict=False):
        assert x2 - x1 >= (_text_width(t1, 10) + _text_width(t2, 10)) / 2, (t1, t2)
    # Three-digit values do not fit over 13 px columns: they are left to the tooltip.
    assert _labels(svg, 9) == [] and svg.count("<title>") == 1 + 24 and "2025-07 127" in svg


def test_few_points_keep_every_label_and_value():
    svg = columns([("一月", [3], ["3"]), ("二月", [5], ["5"])], title="t")
    assert [t for _, t in _labels(svg, 10)] == ["一月", "二月"]
    assert [t for _, t in _labels(svg, 9)] == ["3", "5"]
    assert WIDTH == 360


def test_a_chart_without_links_is_one_image_and_a_linked_one_a_group_of_links():
    # A link inside role="img" is hidden from a screen reader (axe: nested-interactive).
    plain = charts.bars([("甲", 1, "1")], title="图")
    linked = charts.bars([("甲", 1, "1", "/list/")], title="图")
    assert 'role="img"' in plain and "<a " not in plain
    assert 'role="group"' in linked and '<a href="/list/"' in linked
    assert 'role="img"' in charts.columns([("1月", [1], ["1"], [None])], title="图")
    assert 'role="group"' in charts.columns([("1月", [1], ["1"], ["/list/"])], title="图")
