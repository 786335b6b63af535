"""Exports of results and raw answers (CSV, XLSX): the same figures as the page, safe against
spreadsheet formula injection, and only from the survey's minimum number of responses."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from surveys.exports import csv_safe, is_formula_like
from tests.conftest import login
from tests.surveys.results_helpers import (
    CMD,
    FIXED,
    HYPERLINK,
    INVITATIONS,
    add_fixed_responses,
    add_invitations,
)


@pytest.fixture
def fixed(app, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id)
        add_invitations(world.survey_a.id, INVITATIONS)
    return world


def export(client, world, what, fmt, user="manager", **headers):
    login(client, world.user(user))
    return client.get(f"/surveys/{world.survey_a.id}/export/{what}.{fmt}", headers=headers)


def read_csv(response, delimiter=","):
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))


def read_xlsx(response):
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.worksheets[0]
    return sheet, [[cell.value for cell in row] for row in sheet.iter_rows()]


def figure_row(rows, section, figure, question=None):
    return next(
        row for row in rows if row[0] == section and row[1] == figure and question in (None, row[3])
    )


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_gets_an_apostrophe(text):
    assert is_formula_like(text)
    assert csv_safe(text) == "'" + text


def test_ordinary_text_is_left_alone():
    assert csv_safe("Sehr gut - danke") == "Sehr gut - danke" and not is_formula_like("a=b")


def test_results_csv_has_the_figures_of_the_page(app, client, fixed):
    response = export(client, fixed, "results", "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="survey-' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["Section", "Figure", "Question no."]
    csat = figure_row(rows, "Question", "CSAT (share of 4–5)", "Wie zufrieden waren Sie?")
    # value, n, low, high, target, verdict, small sample (hand values in test_results.py)
    assert csat[6:] == [
        "0.75",
        "12",
        "0.4676946651",
        "0.9110583316",
        "0.8",
        "misses, not significant",
        "yes",
    ]
    nps = figure_row(rows, "Question", "NPS")
    assert nps[6:8] == ["16.6666666667", "12"] and nps[8].startswith("-28.557")
    ces = figure_row(rows, "Question", "CES (mean)")
    assert ces[6:12] == ["5.5", "12", "4.58125695", "6.41874305", "5.5", "meets the target"]
    rate = figure_row(rows, "Survey", "Response rate")
    assert rate[6:8] == ["0.4615384615", "13"]
    assert figure_row(rows, "Survey", "Delivered")[5] == "13"
    promoters = figure_row(rows, "Question", "Promoters (9–10)")
    assert promoters[5:8] == ["5", "0.4166666667", "12"]
    # channel and month breakdown: the public link's 2 in channel A are too few to tell the
    # channel apart, so all channels are one row; the months are both suppressed (only n)
    channel = [row for row in rows if row[0] == "Channel"]
    assert [row[1:6] for row in channel] == [
        ["Responses", "", "", "other channels, together", "12"]
    ]
    months = [row for row in rows if row[0] == "Month"]
    assert [(row[1], row[4], row[5]) for row in months] == [
        ("Responses", "2030-01-01", "10"),
        ("Responses", "2030-02-01", "2"),
    ]


def test_results_csv_in_german_uses_semicolons_and_decimal_commas(app, client, fixed):
    response = export(client, fixed, "results", "csv", **{"Accept-Language": "de"})
    rows = read_csv(response, delimiter=";")
    csat = next(row for row in rows if row[1] == "CSAT (share of 4–5)" or row[1].startswith("CSAT"))
    assert csat[6] == "0,75" and csat[7] == "12"


def test_results_xlsx_has_numbers_as_numbers(app, client, fixed):
    response = export(client, fixed, "results", "xlsx", user="executive")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    _sheet, rows = read_xlsx(response)
    csat = figure_row(rows, "Question", "CSAT (share of 4–5)", "Wie zufrieden waren Sie?")
    assert csat[6] == 0.75 and csat[7] == 12
    assert csat[8] == pytest.approx(0.4677, abs=1e-4) and csat[9] == pytest.approx(0.9111, abs=1e-4)
    assert csat[10] == 0.8 and csat[11] == "misses, not significant" and csat[12] is True
    nps = figure_row(rows, "Question", "NPS")
    assert nps[6] == pytest.approx(16.6667, abs=1e-4)
    assert nps[8] == pytest.approx(-28.5575, abs=1e-3)
    ces = figure_row(rows, "Question", "CES (mean)")
    assert (ces[6], ces[11]) == (5.5, "meets the target")


def test_answers_csv_one_row_per_response_and_safe_text(app, client, fixed):
    response = export(client, fixed, "answers", "csv")
    assert response.status_code == 200
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    # no running number and no date: February's 2 fill no day, week or month (minimum 3)
    assert header[:4] == ["Response", "Date (not told)", "Channel", "Source"]
    assert header[4] == "1. Wie zufrieden waren Sie?" and len(header) == 11
    assert len(body) == 12
    assert [row[0] for row in body] == sorted(row[0] for row in body)  # random keys, sorted
    by_text = {row[10]: row for row in body}
    first = by_text["'" + HYPERLINK]  # never a formula
    assert first[1:4] == ["", "Service mail", "invitation"]
    # csat, nps, ces, rating, single choice, multiple choice "a; b", free text
    assert first[4:10] == ["5", "10", "7", "10", "Telefon", "Schnelligkeit; Freundlichkeit"]
    assert {"'" + CMD, "'@SUM(1+1)", "'-2+3 ist falsch"} <= set(by_text)
    last = by_text["'-2+3 ist falsch"]
    assert last[2:4] == ["", "public link"]
    assert last[7:10] == ["", "", ""]  # unanswered optional questions stay empty


def test_answers_xlsx_stores_formula_like_text_as_plain_strings(app, client, fixed):
    response = export(client, fixed, "answers", "xlsx")
    sheet, rows = read_xlsx(response)
    assert len(rows) == 13
    row_of = {row[10]: number for number, row in enumerate(rows[1:], 2) if row[10]}
    first = rows[row_of[HYPERLINK] - 1]
    assert first[1:4] == [None, "Service mail", "invitation"]
    assert first[4:8] == [5, 10, 7, 10]
    cell = sheet.cell(row=row_of[HYPERLINK], column=11)
    assert cell.value == HYPERLINK and cell.data_type == "s"  # a string, not a formula ("f")
    assert cell.quotePrefix
    for text in (CMD, "@SUM(1+1)", "-2+3 ist falsch", "Sehr <b>gut</b> & schnell"):
        cell = sheet.cell(row=row_of[text], column=11)
        assert (cell.value, cell.data_type) == (text, "s")


def test_raw_answers_are_for_editors_only(app, client, fixed):
    assert export(client, fixed, "answers", "csv", user="executive").status_code == 403
    assert export(client, fixed, "results", "csv", user="executive").status_code == 200
    assert export(client, fixed, "results", "csv", user="tester").status_code == 403


def test_nothing_is_exported_below_the_minimum(app, client, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id, FIXED[:2])
    for what in ("answers", "results"):
        response = export(client, world, what, "xlsx")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/surveys/{world.survey_a.id}/results")
    page = client.get(f"/surveys/{world.survey_a.id}/results").get_data(as_text=True)
    assert "not enough responses yet to export" in page


def test_unknown_export_formats_are_not_found(app, client, fixed):
    login(client, fixed.manager)
    assert client.get(f"/surveys/{fixed.survey_a.id}/export/answers.pdf").status_code == 404
    assert client.get(f"/surveys/{fixed.survey_a.id}/export/secrets.csv").status_code == 404
