"""The report charts: one reportlab Drawing each, rendered to inline SVG and into a PDF."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from io import BytesIO

import pdfplumber
import pytest
from reportlab.graphics.shapes import Drawing
from reportlab.platypus import SimpleDocTemplate

from reports import charts

SVG_NS = "{http://www.w3.org/2000/svg}"


def de_percent(value: float) -> str:
    return f"{value * 100:.1f}".replace(".", ",") + " %"


def de_count(count: int) -> str:
    return f"{count:,}".replace(",", ".")


GERMAN = charts.ChartText(
    no_data="Keine Daten",
    target="Soll",
    meets_target="erfüllt Soll",
    misses_target="verfehlt Soll",
    small_sample="kleine Stichprobe (n < {n})",
    promoters="Promotoren",
    passives="Passive",
    detractors="Kritiker",
)


def render(drawing: Drawing) -> str:
    return charts.svg(drawing, "Titel", "Beschreibung", id_prefix="chart")


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, parsed to prove it is well-formed


def classed(markup: str, name: str) -> list[ET.Element]:
    """The elements whose class attribute contains the token ``name``."""
    return [el for el in parse(markup).iter() if name in el.get("class", "").split()]


def texts(markup: str) -> list[str]:
    return [el.text or "" for el in parse(markup).iter(f"{SVG_NS}text")]


def pdf_text(drawing: Drawing) -> str:
    buffer = BytesIO()
    SimpleDocTemplate(buffer, invariant=1).build([drawing])
    with pdfplumber.open(BytesIO(buffer.getvalue())) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


# --- fixed inputs ------------------------------------------------------------------------------

CHANNELS = [
    ("Telefon", 0.834, 143),
    ("E-Mail", 0.912, 210),
    ("Überprüfung", 0.71, 88),
    ("Messenger", 0.95, 12),
    ("Brief", None, 0),
]


def channel_bars(**kwargs) -> Drawing:
    options = {"value_format": de_percent, "count_format": de_count, "value_max": 1.0}
    return charts.bar_chart(CHANNELS, text=GERMAN, **(options | kwargs))


def method_bars(**kwargs) -> Drawing:
    return charts.grouped_bars(
        ["Transaktion", "Kommunikation", "Abwicklung"],
        {"Mystery": [0.82, 0.76, 0.91], "Befragung": [0.64, 0.71, None]},
        counts={"Mystery": [120, 120, 118], "Befragung": [1234, 25, 0]},
        value_format=de_percent,
        count_format=de_count,
        value_max=1.0,
        text=GERMAN,
        **kwargs,
    )


BINS = [("bis 1 h", 412), ("1-4 h", 230), ("4-24 h", 160), ("1-2 Tage", 48), ("nie", 0)]


def response_times() -> Drawing:
    return charts.histogram(BINS, count_format=de_count, share_format=de_percent, text=GERMAN)


def hours_by_weekday() -> Drawing:
    return charts.heatmap(
        ["08-12", "12-16", "16-20"],
        ["Mo", "Di", "Mi", "Do"],
        [
            [(0.91, 40), (0.88, 35), (0.93, 38), (0.85, 41)],
            [(0.86, 40), (0.82, 35), (None, 0), (0.77, 41)],
            [(0.71, 30), (0.62, 12), (None, 0), (None, 0)],
        ],
        value_format=de_percent,
        count_format=de_count,
        value_min=0.0,
        value_max=1.0,
        text=GERMAN,
    )


WAVES = [
    ("Welle 1", 0.72, 140),
    ("Welle 2", 0.78, 150),
    ("Welle 3", None, 0),
    ("Welle 4", 0.81, 25),
    ("Welle 5", 0.86, 160),
]


def waves(**kwargs) -> Drawing:
    return charts.trend(
        WAVES, value_format=de_percent, count_format=de_count, text=GERMAN, **kwargs
    )


def nps() -> Drawing:
    return charts.nps_split(
        520, 300, 180, share_format=de_percent, n=1000, text=GERMAN, count_format=de_count
    )


# --- svg() -------------------------------------------------------------------------------------


def test_svg_is_inline_markup_with_accessible_name_and_no_style_attributes():
    markup = charts.svg(channel_bars(), "Antwortquote", "Antwortquote je Kanal", id_prefix="rate")

    assert markup.startswith("<svg")
    assert "<?xml" not in markup
    assert "DOCTYPE" not in markup
    assert "style=" not in markup  # the CSP (style-src 'self') forbids style attributes
    root = parse(markup)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "rate-title rate-desc"
    assert root.find(f"{SVG_NS}title").get("id") == "rate-title"
    assert root.find(f"{SVG_NS}title").text == "Antwortquote"
    assert root.find(f"{SVG_NS}desc").get("id") == "rate-desc"
    assert root.find(f"{SVG_NS}desc").text == "Antwortquote je Kanal"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    width, height = channel_bars().width, channel_bars().height
    assert root.get("viewBox") == f"0 0 {int(width)} {int(height)}"
    # the paint moved from style="" into presentation attributes
    assert any(el.get("fill") for el in root.iter(f"{SVG_NS}rect"))
    assert all(el.get("font-size") for el in root.iter(f"{SVG_NS}text"))


def test_svg_ids_are_unique_per_chart_on_a_page():
    first, second = charts.svg(nps(), "a", "b"), charts.svg(nps(), "a", "b")

    def ids(markup: str) -> set[str]:
        return {el.get("id") for el in parse(markup).iter() if el.get("id")}

    assert ids(first)
    assert not ids(first) & ids(second)
    assert "url(#clip)" not in first
    for markup in (first, second):  # every reference points at an id of the same chart
        for reference in re.findall(r"url\(#([\w-]+)\)", markup):
            assert reference in ids(markup)
        labelled_by = parse(markup).get("aria-labelledby").split()
        assert set(labelled_by) <= ids(markup)


def test_svg_rejects_an_id_prefix_that_is_not_an_id():
    with pytest.raises(ValueError, match="id_prefix"):
        charts.svg(nps(), "a", "b", id_prefix='x" onload="alert(1)')


def test_labels_titles_and_descriptions_are_escaped():
    evil = '<script>&"'
    drawing = charts.bar_chart([(evil, 0.5, 50), ("ok\x00\x07", 0.4, 60)], target=0.45)
    markup = charts.svg(drawing, evil, evil + "'", id_prefix="x")

    assert "<script" not in markup
    assert "&lt;script&gt;&amp;" in markup
    root = parse(markup)  # well-formed despite the label (and the control characters)
    assert root.find(f"{SVG_NS}title").text == evil
    assert root.find(f"{SVG_NS}desc").text == evil + "'"
    assert evil in texts(markup)
    assert "ok" in texts(markup)
    assert evil in pdf_text(drawing)


# --- 1. bar chart ------------------------------------------------------------------------------


def test_bar_chart_prints_labels_values_and_n_and_draws_one_bar_per_value():
    markup = render(channel_bars(target=0.8))

    shown = texts(markup)
    for label, value, _n in CHANNELS:
        assert label in shown
        if value is not None:
            assert de_percent(value) in shown
    assert "n = 143" in shown
    assert "–" in shown  # the channel without data
    assert len(classed(markup, "qc-bar")) == 4
    assert "Überprüfung" in markup


def test_bar_chart_marks_meeting_and_missing_the_target():
    markup = render(channel_bars(target=0.8))

    assert len(classed(markup, "qc-target")) == 1
    assert [el.text for el in classed(markup, "qc-target-label")] == ["Soll 80,0 %"]
    assert len(classed(markup, "qc-meets")) == 3  # 83.4, 91.2, 95.0
    assert len(classed(markup, "qc-misses")) == 1  # 71.0
    assert {"erfüllt Soll", "verfehlt Soll"} <= set(texts(markup))


def test_bar_chart_lower_is_better_flips_the_judgement():
    drawing = charts.bar_chart(
        [("Median", 30.0, 100), ("p90", 90.0, 100)], target=60.0, higher_is_better=False
    )
    markup = render(drawing)

    (meets,) = classed(markup, "qc-meets")
    (misses,) = classed(markup, "qc-misses")
    assert float(meets.get("width")) < float(misses.get("width"))


def test_bar_chart_without_target_has_no_target_line_and_no_judgement():
    markup = render(channel_bars())

    assert classed(markup, "qc-target") == []
    assert classed(markup, "qc-target-label") == []
    assert classed(markup, "qc-meets") == classed(markup, "qc-misses") == []
    assert "Soll" not in " ".join(texts(markup))


def test_bar_chart_marks_small_samples():
    markup = render(channel_bars(target=0.8))

    (small,) = classed(markup, "qc-small")
    assert "qc-bar" in small.get("class")
    assert "n = 12*" in texts(markup)
    assert "n = 0" in texts(markup)  # no value: no bar, so nothing to mark
    assert "* kleine Stichprobe (n < 30)" in texts(markup)


def test_bar_chart_without_small_samples_has_no_small_sample_legend():
    markup = render(charts.bar_chart([("A", 0.5, 100), ("B", 0.6, 200)], text=GERMAN))

    assert classed(markup, "qc-small") == []
    assert not any("Stichprobe" in t for t in texts(markup))


def test_bar_chart_sizes_itself_to_its_rows_or_takes_the_given_height():
    assert charts.bar_chart(CHANNELS, width=300, height=250).height == 250
    two = charts.bar_chart(CHANNELS[:2])
    five = charts.bar_chart(CHANNELS)
    assert five.height > two.height


def test_bar_chart_handles_negative_values():
    markup = render(charts.bar_chart([("NPS A", -12.0, 80), ("NPS B", 34.0, 90)], target=0.0))

    assert len(classed(markup, "qc-bar")) == 2
    assert {"-12.0", "34.0"} <= set(texts(markup))


# --- 2. grouped bars ---------------------------------------------------------------------------


def test_grouped_bars_show_every_series_and_category_with_a_legend():
    markup = render(method_bars())

    shown = texts(markup)
    assert {"Transaktion", "Kommunikation", "Abwicklung", "Mystery", "Befragung"} <= set(shown)
    assert {"82,0 %", "64,0 %", "71,0 %", "91,0 %"} <= set(shown)
    assert len(classed(markup, "qc-bar")) == 5  # 6 cells, one without data
    assert "n = 1.234" in shown
    assert "n = 25*" in shown
    assert len(classed(markup, "qc-small")) == 1
    assert classed(markup, "qc-target") == []


def test_grouped_bars_draw_a_target_per_category_that_has_one():
    markup = render(method_bars(targets=[0.75, 0.75, None]))

    assert len(classed(markup, "qc-target")) == 2
    assert len(classed(markup, "qc-meets")) == 2  # 82 and 76 against 75
    assert len(classed(markup, "qc-misses")) == 2  # 64 and 71


# --- 3. histogram ------------------------------------------------------------------------------


def test_histogram_prints_counts_shares_and_bin_labels():
    markup = render(response_times())

    shown = texts(markup)
    for label, _ in BINS:
        assert label in shown
    assert {"412", "230", "160", "48", "0"} <= set(shown)
    assert de_percent(412 / 850) in shown  # 48,5 %
    assert len(classed(markup, "qc-bar")) == 4  # the empty bin has no bar


# --- 4. heatmap --------------------------------------------------------------------------------


def test_heatmap_has_a_cell_per_row_and_column_with_values_and_dashes():
    markup = render(hours_by_weekday())

    assert len(classed(markup, "qc-cell")) == 12
    assert len(classed(markup, "qc-empty")) == 3
    shown = texts(markup)
    assert {"08-12", "12-16", "16-20", "Mo", "Di", "Mi", "Do"} <= set(shown)
    assert {"91,0 %", "77,0 %"} <= set(shown)
    assert shown.count("–") == 3
    assert "62,0 %*" in shown  # n = 12
    assert len(classed(markup, "qc-small")) == 1
    assert "0,0 %" in shown and "100,0 %" in shown  # the legend's scale
    assert "– Keine Daten" in shown


def test_heatmap_colours_darker_for_higher_values():
    markup = render(hours_by_weekday())

    def lightness(fill: str) -> float:
        return sum(float(v) for v in re.findall(r"([\d.]+)%", fill))

    cells = [el for el in classed(markup, "qc-cell") if "qc-empty" not in el.get("class")]
    lightest = max(cells, key=lambda el: lightness(el.get("fill")))
    darkest = min(cells, key=lambda el: lightness(el.get("fill")))
    assert lightest != darkest
    # 62 % is the lowest value, 93 % the highest; cells run row by row
    values = [0.91, 0.88, 0.93, 0.85, 0.86, 0.82, 0.77, 0.71, 0.62]
    assert values[cells.index(lightest)] == 0.62
    assert values[cells.index(darkest)] == 0.93


# --- 5. trend ----------------------------------------------------------------------------------


def test_trend_draws_a_point_per_value_and_its_target():
    markup = render(waves(target=0.8))

    assert len(classed(markup, "qc-point")) == 4
    assert len(classed(markup, "qc-target")) == 1
    assert [el.text for el in classed(markup, "qc-target-label")] == ["Soll 80,0 %"]
    shown = texts(markup)
    assert {"Welle 1", "Welle 3", "Welle 5", "72,0 %", "86,0 %", "81,0 %*"} <= set(shown)
    assert "–" in shown
    assert len(classed(markup, "qc-small")) == 1
    assert len(classed(markup, "qc-misses")) == 2
    assert len(classed(markup, "qc-meets")) == 2


def test_trend_without_target_has_no_target_line():
    markup = render(waves())

    assert classed(markup, "qc-target") == []
    assert classed(markup, "qc-meets") == classed(markup, "qc-misses") == []


# --- 6. NPS split ------------------------------------------------------------------------------


def test_nps_split_is_one_bar_of_three_labelled_shares():
    markup = render(nps())

    assert len(classed(markup, "qc-segment")) == 3
    shown = texts(markup)
    assert {"Kritiker 18,0 %", "Passive 30,0 %", "Promotoren 52,0 %", "n = 1.000"} <= set(shown)
    widths = [float(el.get("width")) for el in classed(markup, "qc-segment")]
    assert widths[0] < widths[1] < widths[2]
    assert widths[2] == pytest.approx(sum(widths) * 0.52)


def test_nps_split_leaves_out_an_empty_segment():
    markup = render(charts.nps_split(0.6, 0.4, 0.0))

    assert len(classed(markup, "qc-segment")) == 2
    assert "Detractors 0.0 %" in texts(markup)


# --- no data -----------------------------------------------------------------------------------

EMPTY = {
    "bar_chart, no items": lambda: charts.bar_chart([], text=GERMAN),
    "bar_chart, all None": lambda: charts.bar_chart([("A", None, 0)], text=GERMAN),
    "grouped_bars, no categories": lambda: charts.grouped_bars([], {}, text=GERMAN),
    "grouped_bars, all None": lambda: charts.grouped_bars(["A"], {"S": [None]}, text=GERMAN),
    "histogram, no bins": lambda: charts.histogram([], text=GERMAN),
    "histogram, all zero": lambda: charts.histogram([("a", 0), ("b", None)], text=GERMAN),
    "heatmap, no rows": lambda: charts.heatmap([], ["Mo"], [], text=GERMAN),
    "heatmap, all None": lambda: charts.heatmap(["a"], ["Mo"], [[(None, 0)]], text=GERMAN),
    "trend, no points": lambda: charts.trend([], target=0.8, text=GERMAN),
    "trend, all None": lambda: charts.trend([("W1", None, 0)], text=GERMAN),
    "nps_split, None": lambda: charts.nps_split(None, None, None, text=GERMAN),
    "nps_split, all zero": lambda: charts.nps_split(0, 0, 0, text=GERMAN),
}


@pytest.mark.parametrize("make", EMPTY.values(), ids=EMPTY.keys())
def test_no_data_gives_a_drawing_that_says_so(make):
    drawing = make()
    markup = render(drawing)

    assert [el.text for el in classed(markup, "qc-no-data")] == ["Keine Daten"]
    assert classed(markup, "qc-bar") == classed(markup, "qc-target") == []
    assert "Keine Daten" in pdf_text(drawing)


# --- the PDF carries the same figures as the SVG -----------------------------------------------

SAME_FIGURES = {
    "bar_chart": (
        lambda: channel_bars(target=0.8),
        [
            "Telefon",
            "E-Mail",
            "Überprüfung",
            "Messenger",
            "Brief",
            "83,4 %",
            "91,2 %",
            "71,0 %",
            "95,0 %",
            "n = 143",
            "n = 12*",
            "Soll 80,0 %",
        ],
    ),
    "grouped_bars": (
        lambda: method_bars(targets=[0.75, 0.75, None]),
        [
            "Transaktion",
            "Kommunikation",
            "Abwicklung",
            "Mystery",
            "Befragung",
            "82,0 %",
            "64,0 %",
            "n = 1.234",
            "n = 25*",
        ],
    ),
    "histogram": (
        response_times,
        ["bis 1 h", "1-2 Tage", "nie", "412", "230", "48,5 %"],
    ),
    "heatmap": (
        hours_by_weekday,
        ["08-12", "16-20", "Mo", "Do", "91,0 %", "62,0 %*", "n = 41", "Keine Daten"],
    ),
    "trend": (
        lambda: waves(target=0.8),
        ["Welle 1", "Welle 5", "72,0 %", "86,0 %", "81,0 %*", "Soll 80,0 %", "n = 160"],
    ),
    "nps_split": (
        nps,
        ["Kritiker 18,0 %", "Passive 30,0 %", "Promotoren 52,0 %", "n = 1.000"],
    ),
}


@pytest.mark.parametrize(("make", "figures"), SAME_FIGURES.values(), ids=SAME_FIGURES.keys())
def test_pdf_and_svg_carry_the_same_labels_and_figures(make, figures):
    drawing = make()
    shown = " ".join(texts(render(drawing)))
    printed = pdf_text(drawing)

    for figure in figures:
        assert figure in shown
        assert figure in printed


def test_default_formats():
    assert charts.format_number(83.44) == "83.4"
    assert charts.format_number(-0.01) == "0.0"
    assert charts.format_percent(0.834) == "83.4 %"
    assert charts.format_count(1234) == "1234"
    markup = render(charts.bar_chart([("A", 83.44, 40)]))
    assert {"83.4", "n = 40"} <= set(texts(markup))
