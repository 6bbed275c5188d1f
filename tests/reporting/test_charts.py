"""The SVG charts (reporting/charts.py): well-formed, CSP-clean, accessible, escaped, to scale."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from reporting.charts import (
    EMPTY_MESSAGE,
    dashboard_charts,
    grouped_bars,
    horizontal_bars,
    nice_scale,
)
from reporting.figures import Headline, QuarterFigures
from tests.conftest import World

SVG = "{http://www.w3.org/2000/svg}"
NASTY = 'A<b>&"x"\''


def parse(svg: str) -> ET.Element:
    # Our own output, not untrusted input; raises if the SVG is not well-formed XML.
    return ET.fromstring(svg)  # noqa: S314


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def trend() -> str:
    return grouped_bars(
        title="Trend",
        description="Breaches and near misses",
        categories=["2026 Q1", "2026 Q2", "2026 Q3"],
        series=[("Breaches", [2, 4, 0]), ("Near misses", [1, 3, 8])],
    )


def causes() -> str:
    return horizontal_bars(
        title="Causes", description="By cause", items=[("Wrong recipient", 6), ("Other", 3)]
    )


def empty_bars() -> str:
    return grouped_bars(title="Trend", description="d", categories=[], series=[])


def empty_rows() -> str:
    return horizontal_bars(title="Causes", description="d", items=[])


ALL_KINDS = [trend, causes, empty_bars, empty_rows]


@pytest.mark.parametrize("make", ALL_KINDS, ids=lambda f: f.__name__)
def test_no_style_or_script_for_the_csp(make) -> None:
    svg = make()
    root = parse(svg)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert not tags & {"style", "script", "foreignObject"}
    for element in root.iter():
        assert "style" not in element.attrib
        assert not [name for name in element.attrib if name.lower().startswith("on")]
    assert "style=" not in svg


@pytest.mark.parametrize("make", ALL_KINDS, ids=lambda f: f.__name__)
def test_an_image_with_a_title_and_a_description(make) -> None:
    root = parse(make())
    assert root.get("role") == "img"
    assert re.fullmatch(r"0 0 \d+(\.\d+)? \d+(\.\d+)?", root.get("viewBox", ""))
    ids = root.get("aria-labelledby", "").split()
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    assert [by_id[i].tag for i in ids] == [f"{SVG}title", f"{SVG}desc"]
    assert all((by_id[i].text or "").strip() for i in ids)


def test_labels_from_the_database_are_escaped_and_round_trip() -> None:
    svg = grouped_bars(
        title=f"T {NASTY}",
        description=f"D {NASTY}",
        categories=[NASTY],
        series=[(NASTY, [1])],
    )
    assert "<b>" not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == f"T {NASTY}"
    assert root.find(f"{SVG}desc").text == f"D {NASTY}"
    assert texts(root).count(NASTY) == 2  # the legend and the category label

    svg = horizontal_bars(title=NASTY, description=NASTY, items=[(NASTY, 2)])
    assert "<b>" not in svg
    assert NASTY in texts(parse(svg))


def test_characters_xml_cannot_carry_are_dropped() -> None:
    svg = horizontal_bars(title="T\x00", description="D\x1b", items=[("A\x08B", 1)])
    assert "AB" in texts(parse(svg))


def test_vertical_bars_are_to_scale() -> None:
    root = parse(trend())
    heights = [float(r.get("height")) for r in bars(root)]
    # Drawn group by group: (Q1 breaches, Q1 near misses), (Q2 …), (Q3 …).
    b1, n1, b2, n2, b3, n3 = heights
    assert b2 == pytest.approx(2 * b1, abs=0.02)
    assert n2 == pytest.approx(3 * n1, abs=0.02)
    assert n3 == pytest.approx(8 * n1, abs=0.02)
    assert b3 == 0
    # Every bar stands on the same baseline.
    bottoms = {round(float(r.get("y")) + float(r.get("height")), 1) for r in bars(root)}
    assert len(bottoms) == 1
    # Values on the bars, gridlines at a rounded maximum, the legend and category labels.
    labels = texts(root)
    for expected in ["2", "4", "0", "1", "3", "8", "Breaches", "Near misses", "2026 Q3"]:
        assert expected in labels


def test_series_are_told_apart_by_more_than_the_hue() -> None:
    root = parse(trend())
    first, second = bars(root)[:2]
    assert first.get("fill") != second.get("fill")
    assert first.get("fill") == first.get("stroke")  # solid
    assert second.get("fill") != second.get("stroke")  # a tint with an outline


def test_horizontal_bars_are_to_scale_and_grow_with_the_rows() -> None:
    root = parse(causes())
    wide, narrow = (float(r.get("width")) for r in bars(root))
    assert wide == pytest.approx(2 * narrow, abs=0.02)
    assert {"Wrong recipient", "Other", "6", "3"} <= set(texts(root))

    def height(count: int) -> float:
        svg = horizontal_bars(title="t", description="d", items=[("x", 1)] * count)
        return float(parse(svg).get("height"))

    assert height(2) < height(4) < height(8)


def test_long_labels_are_wrapped_not_lost() -> None:
    label = "Human error: misaddressed post or email, twice, on a very long afternoon"
    root = parse(horizontal_bars(title="t", description="d", items=[(label, 1)]))
    assert len(bars(root)) == 1
    drawn = " ".join(t for t in texts(root) if t not in {"t", "1"})
    assert drawn.startswith("Human error: misaddressed")


@pytest.mark.parametrize(
    "svg",
    [
        grouped_bars(title="t", description="d", categories=[], series=[]),
        grouped_bars(title="t", description="d", categories=["Q1"], series=[("B", [0])]),
        horizontal_bars(title="t", description="d", items=[]),
    ],
)
def test_no_data_says_so(svg: str) -> None:
    root = parse(svg)
    assert EMPTY_MESSAGE in texts(root)
    assert not bars(root)


def test_a_series_must_match_the_categories() -> None:
    with pytest.raises(ValueError, match="values"):
        grouped_bars(title="t", description="d", categories=["a", "b"], series=[("s", [1])])


@pytest.mark.parametrize(
    ("maximum", "scale"),
    [(0, (1, 1)), (1, (1, 1)), (3, (3, 1)), (5, (5, 1)), (7, (8, 2)), (12, (15, 5)),
     (180, (200, 50)), (1234, (1500, 500))],
)  # fmt: skip
def test_nice_scale(maximum: int, scale: tuple[int, int]) -> None:
    assert nice_scale(maximum) == scale


def _headline() -> Headline:
    return Headline(
        1, 2, 0, None, None, None, 0, 0,
        discovered=[("Noticed by a colleague", 2), ("Not said", 5)],
    )  # fmt: skip


def _figures() -> QuarterFigures:
    return QuarterFigures(
        quarter="2026Q3",
        generated_for="the whole agency",
        current=_headline(),
        previous=_headline(),
        trend=[
            {"quarter": f"{year} Q{n}", "breaches": n, "near_misses": 2 * n}
            for year in (2025, 2026)
            for n in (1, 2, 3, 4)
        ],
        causes=[("Human error: wrong recipient", 3), ("Other", 1)],
        breach_types=[("Unauthorised disclosure", 4)],
    )


def test_the_three_charts_describe_every_number() -> None:
    charts = dashboard_charts(_figures())
    assert set(charts) == {"trend", "causes", "breach_types", "discovery"}
    roots = {name: parse(svg) for name, svg in charts.items()}
    assert len({root.find(f"{SVG}title").get("id") for root in roots.values()}) == 4
    trend_desc = roots["trend"].find(f"{SVG}desc").text
    assert "2025 Q1: 1 breach, 2 near misses" in trend_desc
    assert "2026 Q4: 4 breaches, 8 near misses" in trend_desc
    assert "Human error: wrong recipient, 3" in roots["causes"].find(f"{SVG}desc").text
    assert roots["breach_types"].find(f"{SVG}title").text == "Breaches by type, 2026 Q3"
    assert roots["discovery"].find(f"{SVG}title").text == "How incidents came to light, 2026 Q3"
    assert "Noticed by a colleague, 2; Not said, 5." in roots["discovery"].find(f"{SVG}desc").text


def test_stored_figures_draw_the_same_charts() -> None:
    """A report job keeps its figures as JSON; regenerating from them gives identical SVG."""
    figures = _figures()
    stored = json.loads(json.dumps(figures.to_dict()))
    assert dashboard_charts(stored) == dashboard_charts(figures)


def test_a_compact_set_for_phones_has_its_own_ids() -> None:
    wide, narrow = dashboard_charts(_figures()), dashboard_charts(_figures(), compact=True)
    for name in wide:
        wide_root, narrow_root = parse(wide[name]), parse(narrow[name])
        assert float(narrow_root.get("width")) < float(wide_root.get("width"))
        assert narrow_root.find(f"{SVG}desc").text == wide_root.find(f"{SVG}desc").text
        assert narrow_root.get("aria-labelledby") != wide_root.get("aria-labelledby")
    # The quarters' labels fold under their bars rather than overlap.
    assert "Q3" in texts(parse(narrow["trend"]))


def test_a_long_title_wraps_inside_a_narrow_chart() -> None:
    title = "Breaches and near misses, last eight quarters"
    root = parse(horizontal_bars(title=title, description="d", items=[("a", 1)], width=300))
    drawn = [t.text for t in root.iter(f"{SVG}text") if t.get("font-weight") == "700"]
    assert len(drawn) == 2
    assert " ".join(drawn) == title


@pytest.mark.django_db
def test_the_dashboard_shows_the_three_charts_above_the_tables(world: World) -> None:
    client = Client()
    client.force_login(world.executive)
    response = client.get("/reports/dashboard/")
    assert response.status_code == 200
    body = response.content.decode()
    svgs = re.findall(r"<svg\b.*?</svg>", body, flags=re.DOTALL)
    # The four charts (trend, causes, types, and how incidents came to light), each drawn
    # wide and narrow (CSS shows one).
    assert len(svgs) == 8
    ids = []
    for svg in svgs:
        root = parse(svg)
        assert root.get("role") == "img"
        assert "style=" not in svg
        assert "<script" not in svg
        ids += [element.get("id") for element in root.iter() if element.get("id")]
    assert len(ids) == len(set(ids)) == 16
    titles = {parse(svg).find(f"{SVG}title").text for svg in svgs}
    assert len(titles) == 4
    assert body.index("</svg>") < body.index(">Breaches and near misses over the last eight")
    assert ">Breaches by cause</caption>" in body  # the numbers stay as tables
