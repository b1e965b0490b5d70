from community import charts


def test_a_chart_without_links_is_one_image_and_a_linked_one_a_group_of_links():
    # A link inside role="img" is hidden from a screen reader (axe: nested-interactive).
    plain = charts.bars([("甲", 1, "1")], title="图")
    linked = charts.bars([("甲", 1, "1", "/list/")], title="图")
    assert 'role="img"' in plain and "<a " not in plain
    assert 'role="group"' in linked and '<a href="/list/"' in linked
    assert 'role="img"' in charts.columns([("1月", [1], ["1"], [None])], title="图")
    assert 'role="group"' in charts.columns([("1月", [1], ["1"], ["/list/"])], title="图")
