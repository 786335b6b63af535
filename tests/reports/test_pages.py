"""The report pages: the list, a new report, the dashboards, SWOT editing and publishing."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

from flask_babel import force_locale
from sqlalchemy import select

from qcrm.extensions import db
from qcrm.models import User
from reports import services
from reports.models import Report, ReportFinding, ReportStatus
from reports.snapshot import finding_from_json
from reports.swot import Quadrant, sentence
from tests.conftest import count_queries, login
from tests.reports.test_analysis import _build

NOW = dt.datetime(2030, 2, 1, 9, 0, tzinfo=dt.UTC)


class _Text(HTMLParser):
    """The visible text of a page (or of one element, by id), whitespace collapsed."""

    def __init__(self, element_id: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.element_id = element_id
        self.depth = 0 if element_id is None else -1
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.depth > 0:
            self.parts.append(" ")
        if self.depth >= 0 and self.element_id is not None:
            self.depth += tag not in ("br", "input", "meta", "link", "img")
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.element_id is not None and self.depth > 0:
            self.depth -= 1
            if self.depth == 0:
                self.depth = -2  # done

    def handle_data(self, data):
        if self.depth > 0 or (self.element_id is None and self.depth == 0):
            self.parts.append(data)


def text_of(html: str, element_id: str | None = None) -> str:
    parser = _Text(element_id)
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()


def _draft(app, world) -> int:
    with app.app_context():
        ids = _build(world)
        manager = db.session.get(User, world.manager.id)
        report = services.create_report(
            services.ReportData("Welle A", ids["client"], wave_ids=(ids["wave"],)), manager, NOW
        )
        return report.id


def _findings(app, report_id: int) -> list[ReportFinding]:
    with app.app_context():
        rows = db.session.scalars(
            select(ReportFinding)
            .where(ReportFinding.report_id == report_id)
            .order_by(ReportFinding.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def test_the_dashboard_shows_each_figure_with_n_interval_and_target(app, client, world):
    report_id = _draft(app, world)
    with app.app_context():
        snapshot = services.current_snapshot(db.session.get(Report, report_id), NOW)
    rate = snapshot["mystery"]["answer_rate"]
    assert (rate["value"], rate["n"], rate["target"]) == (0.7, 10, 0.8)
    login(client, world.manager)
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    row = text_of(html, "figure-answer_rate")
    assert row.startswith("Answer rate 70.0% 10 39.7% – 89.2% 80.0% misses")
    assert "small sample" in row
    assert "First response time, median 2.0 h 7 none (order statistic) 60 min misses" in text_of(
        html, "figure-frt_median"
    )
    # the charts are inline SVG with a title, and their numbers are next to them
    for chart in ("response-times", "channels", "scores", "activity"):
        assert f'id="chart-{chart}"' in html
    assert "<svg" in html and 'role="img"' in html
    assert "within 1 h 30.0% 10" in text_of(html, "chart-response-times")
    assert "Kontaktformular 4 3 75.0% *" in text_of(html, "chart-channels")


def test_activity_is_a_heatmap_of_hour_bands_by_weekdays(app, client, world):
    report_id = _draft(app, world)
    login(client, world.manager)
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    start = html.index('id="chart-activity"')
    chart = html[start : html.index("</figure>", start)]
    # 5 hour bands × 7 weekdays, empty cells included; the two one-dimensional charts are gone
    assert len(re.findall(r'class="qc-cell[ "]', chart)) == 5 * 7
    assert 'id="chart-hour-bands"' not in html and "not crossed" not in html
    # the numbers: morning Monday = 2 sent, 2 answered
    assert "Morning (6–11 h), Monday 2 2 100.0% *" in text_of(html, "chart-activity")


def test_a_snapshot_without_the_crossed_breakdown_shows_the_two_charts(app, client, world):
    report_id = _draft(app, world)
    with app.app_context():
        report = db.session.get(Report, report_id)
        snapshot = services.current_snapshot(report, NOW)
        del snapshot["mystery"]["breakdowns"]["by_hour_band_weekday"]
        report.figures, report.status = snapshot, ReportStatus.PUBLISHED
        db.session.commit()
    login(client, world.manager)
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert 'id="chart-hour-bands"' in html and 'id="chart-weekdays"' in html
    assert 'id="chart-activity"' not in html


def test_the_matrix_and_the_methods_used_are_shown(app, client, world):
    report_id = _draft(app, world)
    login(client, world.manager)
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    matrix = text_of(html, "matrix")
    assert (
        "Reachability 70.0% (n = 10 contacts) 39.7% – 89.2% Target: 80.0% misses, not significant"
        in matrix
    )
    assert "Mystery contacts: transaction" in matrix
    assert "Mystery monitoring" in text_of(html, "methods-used")
    assert "at least three methods" in text_of(html, "too-few-methods")
    assert "No two methods differ significantly" in text_of(html, "no-disagreements")


def test_the_swot_shows_each_finding_as_a_sentence_in_the_readers_language(app, client, world):
    report_id = _draft(app, world)
    login(client, world.manager)
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    threats = text_of(html, "quadrant-threat")
    with app.test_request_context(), force_locale("en"):
        findings = _findings(app, report_id)
        sentences = [sentence(finding_from_json(f.data)) for f in findings]
    assert len(sentences) == 2
    for finding, text in zip(findings, sentences, strict=True):
        assert f"of {finding.data['n']} inquiries" in text and "target" in text
        assert text in threats
    # the contacts behind a finding: the wave's page with its inquiries
    assert f'href="/audits/waves/{world.wave_a.id}#inquiries-heading"' in html


def test_numbers_are_written_in_the_readers_language(app, client, world):
    report_id = _draft(app, world)
    login(client, world.manager)
    html = client.get(f"/reports/{report_id}", headers={"Accept-Language": "de"}).get_data(
        as_text=True
    )
    assert '<html lang="de">' in html
    row = html[html.index('id="figure-answer_rate"') :]
    row = row[: row.index("</tr>")]
    for number in ("70,0\xa0%", "39,7\xa0%", "89,2\xa0%", "80,0\xa0%"):
        assert number in row
    assert "70.0%" not in html


def test_pages_carry_no_inline_styles(app, client, world):
    report_id = _draft(app, world)
    login(client, world.manager)
    for url in (
        f"/reports/{report_id}",
        f"/reports/waves/{world.wave_a.id}",
        "/reports/",
        "/reports/new",
        f"/reports/{world.report_a.id}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'style="' not in response.get_data(as_text=True), url


def test_editing_a_finding_keeps_the_wording_and_marks_it_edited(app, client, world):
    report_id = _draft(app, world)
    finding = _findings(app, report_id)[0]
    login(client, world.manager)
    page = client.get(f"/reports/findings/{finding.id}/edit").get_data(as_text=True)
    assert "What the rule wrote" in page
    response = client.post(
        f"/reports/findings/{finding.id}/edit",
        data={"text": "Das Kontaktformular war einmal nicht erreichbar (n = 5)."},
    )
    assert response.status_code == 302
    edited = _findings(app, report_id)[0]
    assert (
        edited.edited and edited.text == "Das Kontaktformular war einmal nicht erreichbar (n = 5)."
    )
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    item = text_of(html, f"finding-{finding.id}")
    assert item.startswith("Das Kontaktformular war einmal nicht erreichbar (n = 5). edited")
    # an empty wording is refused on the field
    response = client.post(f"/reports/findings/{finding.id}/edit", data={"text": " "})
    assert response.status_code == 400
    assert 'id="text-error"' in response.get_data(as_text=True)


def test_findings_can_be_added_removed_and_restored(app, client, world):
    report_id = _draft(app, world)
    generated = _findings(app, report_id)[0]
    login(client, world.manager)
    client.post(
        f"/reports/{report_id}/findings",
        data={"quadrant": "opportunity", "text": "Ein Chat könnte abends entlasten."},
    )
    added = [f for f in _findings(app, report_id) if f.rule is None]
    assert [(f.quadrant, f.text, f.edited) for f in added] == [
        (Quadrant.OPPORTUNITY, "Ein Chat könnte abends entlasten.", True)
    ]
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Ein Chat könnte abends entlasten." in text_of(html, "quadrant-opportunity")

    client.post(f"/reports/findings/{generated.id}/remove")
    assert next(f for f in _findings(app, report_id) if f.id == generated.id).removed
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert f'id="finding-{generated.id}"' not in html
    assert "Threats:" in text_of(html, "removed")
    assert f"/reports/findings/{generated.id}/restore" in html

    client.post(f"/reports/findings/{generated.id}/restore")
    assert not next(f for f in _findings(app, report_id) if f.id == generated.id).removed
    client.post(f"/reports/findings/{added[0].id}/remove")
    assert all(f.id != added[0].id for f in _findings(app, report_id))


def test_a_refused_new_finding_keeps_the_typed_text_and_shows_the_field_message(app, client, world):
    report_id = _draft(app, world)
    before = len(_findings(app, report_id))
    login(client, world.manager)
    typed = "Der Chat\x1b könnte abends entlasten."
    response = client.post(
        f"/reports/{report_id}/findings", data={"quadrant": "threat", "text": typed}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Der Chat\x1b könnte abends entlasten.</textarea>" in html
    assert "Please remove the control characters" in text_of(html, "new-threat-text-error")
    assert 'id="new-opportunity-text-error"' not in html  # only the quadrant written in
    too_long = client.post(
        f"/reports/{report_id}/findings", data={"quadrant": "strength", "text": "x" * 2001}
    )
    assert too_long.status_code == 400
    assert "2000" in text_of(too_long.get_data(as_text=True), "new-strength-text-error")
    assert len(_findings(app, report_id)) == before


def test_applying_the_rules_again_keeps_edits_and_removals(app, client, world):
    report_id = _draft(app, world)
    first, second = _findings(app, report_id)[:2]
    login(client, world.manager)
    client.post(f"/reports/findings/{first.id}/edit", data={"text": "Eigene Worte (n = 7)."})
    client.post(f"/reports/findings/{second.id}/remove")
    response = client.post(f"/reports/{report_id}/regenerate", follow_redirects=True)
    assert "applied to the current figures again" in response.get_data(as_text=True)
    rows = _findings(app, report_id)
    assert len(rows) == 2
    assert ("Eigene Worte (n = 7).", True) in [(f.text, f.edited) for f in rows]
    assert [f.removed for f in rows if f.data == second.data] == [True]


def test_publishing_needs_a_confirmation_and_makes_the_report_read_only(app, client, world):
    report_id = _draft(app, world)
    finding = _findings(app, report_id)[0]
    login(client, world.manager)
    client.post(f"/reports/{report_id}/publish")
    with app.app_context():
        assert db.session.get(Report, report_id).status is ReportStatus.DRAFT

    client.post(f"/reports/{report_id}/publish", data={"confirm": "y"})
    with app.app_context():
        report = db.session.get(Report, report_id)
        assert report.status is ReportStatus.PUBLISHED and report.figures
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Published on" in text_of(html, "published") and "Manager" in text_of(html, "published")
    assert "/edit" not in html and "/publish" not in html and "/regenerate" not in html

    for url, data in (
        (f"/reports/findings/{finding.id}/edit", {"text": "Anders."}),
        (f"/reports/{report_id}/findings", {"quadrant": "threat", "text": "Neu."}),
        (f"/reports/findings/{finding.id}/remove", {}),
        (f"/reports/{report_id}/regenerate", {}),
        (f"/reports/{report_id}/publish", {"confirm": "y"}),
    ):
        response = client.post(url, data=data, follow_redirects=True)
        assert response.status_code == 200, url
        assert "can no longer be changed" in response.get_data(
            as_text=True
        ) or "published already" in response.get_data(as_text=True), url
    assert client.get(f"/reports/findings/{finding.id}/edit").status_code == 302
    assert _findings(app, report_id)[0].text is None


def test_executives_read_published_reports_only_and_edit_nothing(app, client, world):
    report_id = _draft(app, world)
    login(client, world.executive)
    assert client.get(f"/reports/{report_id}").status_code == 404
    listing = client.get("/reports/").get_data(as_text=True)
    assert "Bericht Welle A" in listing and f'/reports/{report_id}"' not in listing
    assert "New report" not in listing

    with app.app_context():
        report = db.session.get(Report, report_id)
        services.publish_report(report, db.session.get(User, world.manager.id), NOW)
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Answer rate 70.0%" in text_of(html, "figure-answer_rate")
    assert "/edit" not in html and "Apply the rules again" not in html
    assert "/audits/waves/" not in html  # the wave pages with the testers are not theirs
    if "reports.pdf" in app.view_functions:  # the downloads, once their pages exist
        assert f"/reports/{report_id}/report-de.pdf" in html
        assert f"/reports/{report_id}/report-en.pdf" in html
    assert client.get(f"/reports/{world.report_b.id}").status_code == 404
    assert client.post(f"/reports/{report_id}/regenerate").status_code == 403


def test_testers_see_no_report(app, client, world):
    login(client, world.tester)
    for url in ("/reports/", f"/reports/{world.report_a.id}", f"/reports/waves/{world.wave_a.id}"):
        assert client.get(url).status_code == 403, url


def test_a_report_without_figures_says_so(app, client, world):
    login(client, world.executive)
    html = client.get(f"/reports/{world.report_a.id}").get_data(as_text=True)
    assert "no figures" in text_of(html, "no-figures")
    assert "Der Chat könnte Anfragen am Abend auffangen." in text_of(html, "quadrant-opportunity")


def test_the_list_shows_client_scope_status_and_dates(app, client, world):
    _draft(app, world)
    login(client, world.manager)
    html = client.get("/reports/").get_data(as_text=True)
    table = text_of(html, "reports")
    assert "Welle A Stadtwerke Aue Waves: Welle A Channels: all Draft" in table
    assert "Bericht Welle B Energie Nord Waves: Welle B" in table
    assert "New report" in html


def test_the_list_needs_a_constant_number_of_queries(app, client, world):
    login(client, world.manager)
    client.get("/reports/")
    with count_queries(app) as few:
        client.get("/reports/")
    _draft(app, world)
    with count_queries(app) as more:
        client.get("/reports/")
    # the user, their server-side session, the reports, their waves (and SQLite's BEGIN)
    assert len(few) == len(more) <= 6


def test_a_new_report_is_drafted_from_the_form(app, client, world):
    with app.app_context():
        _build(world)
    login(client, world.manager)
    page = client.get(f"/reports/new?wave_id={world.wave_a.id}").get_data(as_text=True)
    assert 'value="Quality report: Welle A"' in page
    assert re.search(rf'<option selected value="{world.wave_a.id}">Welle A', page)
    assert '<optgroup label="Energie Nord">' in page
    response = client.post(
        "/reports/new",
        data={"title": "Welle A", "client_id": world.client_a.id, "wave_ids": [world.wave_a.id]},
    )
    assert response.status_code == 302
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.title == "Welle A"))
        assert report.wave_ids == [world.wave_a.id] and report.findings
    assert response.headers["Location"] == f"/reports/{report.id}"


def test_the_new_report_form_shows_the_services_errors_on_their_fields(app, client, world):
    login(client, world.manager)
    response = client.post(
        "/reports/new",
        data={"title": "X", "client_id": world.client_a.id, "wave_ids": [world.wave_b.id]},
    )
    assert response.status_code == 400
    assert "Choose waves of the report's client." in text_of(
        response.get_data(as_text=True), "wave_ids-error"
    )
    response = client.post("/reports/new", data={"title": "X", "client_id": world.client_a.id})
    assert "Choose at least one wave, or a period." in text_of(
        response.get_data(as_text=True), "wave_ids-error"
    )
    response = client.post(
        "/reports/new",
        data={"title": "", "client_id": world.client_a.id, "period_start": "2030-01-01"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="title-error"' in html and 'id="period_end-error"' in html
    login(client, world.client_manager)
    response = client.post(
        "/reports/new",
        data={"title": "X", "client_id": world.client_b.id, "wave_ids": [world.wave_b.id]},
    )
    assert "Choose one of your clients." in text_of(
        response.get_data(as_text=True), "client_id-error"
    )
    with app.app_context():
        assert db.session.scalar(select(Report).where(Report.title == "X")) is None


def test_the_wave_dashboard_shows_the_live_figures(app, client, world):
    with app.app_context():
        _build(world)
    login(client, world.manager)
    html = client.get(f"/reports/waves/{world.wave_a.id}").get_data(as_text=True)
    assert "Dashboard: Welle A" in html
    assert text_of(html, "figure-answer_rate").startswith("Answer rate 70.0% 10")
    assert f'href="/reports/new?wave_id={world.wave_a.id}"' in html
    assert "not contactable" in text_of(html, "quadrant-threat")
    assert "/edit" not in html
    with app.app_context():
        assert db.session.scalar(select(Report.id).where(Report.title == "Welle A")) is None
    wave_page = client.get(f"/audits/waves/{world.wave_a.id}").get_data(as_text=True)
    assert f'href="/reports/waves/{world.wave_a.id}"' in wave_page

    login(client, world.executive)
    html = client.get(f"/reports/waves/{world.wave_a.id}").get_data(as_text=True)
    assert "Draft a report from this wave" not in html
    assert client.get(f"/reports/waves/{world.wave_b.id}").status_code == 404


def test_the_navigation_links_the_reports(app, client, world):
    for user, shown in ((world.manager, True), (world.executive, True), (world.tester, False)):
        login(client, user)
        html = client.get("/home").get_data(as_text=True)
        assert ('href="/reports/"' in html) is shown, user.name


def test_a_published_report_page_needs_a_constant_number_of_queries(app, client, world):
    report_id = _draft(app, world)
    with app.app_context():
        report = db.session.get(Report, report_id)
        services.publish_report(report, db.session.get(User, world.manager.id), NOW)
    login(client, world.manager)
    client.get(f"/reports/{report_id}")
    with count_queries(app) as before:
        assert client.get(f"/reports/{report_id}").status_code == 200
    with app.app_context():
        for position in range(2, 12):
            db.session.add(
                ReportFinding(
                    report_id=report_id,
                    quadrant=Quadrant.STRENGTH,
                    position=position,
                    text=f"Befund {position} (n = 10).",
                    edited=True,
                )
            )
        db.session.commit()
    with count_queries(app) as after:
        html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Befund 11 (n = 10)." in html
    assert len(before) == len(after) <= 10


def _figure(value: float, n: int, target: float | None = None) -> dict:
    return {
        "value": value,
        "n": n,
        "low": value - 0.1,
        "high": value + 0.1,
        "target": target,
        "higher_is_better": True,
        "meets_target": None if target is None else value >= target,
        "significantly_above_target": False,
        "significantly_below_target": False,
        "small_sample": n < 30,
    }


def test_trends_and_the_nps_split_are_drawn_from_the_snapshot(app, world):
    from reports import dashboard

    report_id = _draft(app, world)
    with app.test_request_context(), force_locale("en"):
        snapshot = dict(services.current_snapshot(db.session.get(Report, report_id), NOW))
        snapshot["previous_scope"] = {"wave_ids": [99]}
        snapshot["comparison"] = {
            "answer_rate": {
                "previous": _figure(0.5, 40, 0.8),
                "current": _figure(0.7, 10, 0.8),
                "difference": {"low": 0.05, "high": 0.35},
            },
            "total_score": None,
        }
        snapshot["survey"] = {
            "responses": 10,
            "csat": _figure(0.6, 10, 0.8),
            "nps": {**_figure(10.0, 10, 20.0), "low": -40.0, "high": 60.0},
            "nps_counts": {"10": 3, "9": 1, "8": 2, "5": 4},
        }
        board = dashboard.build(snapshot, {world.wave_a.id: "Welle A", 99: "Welle Z"})
    (trend,) = board.trends
    assert trend.rows == [["Welle Z", "50.0%", "40"], ["Welle A", "70.0%", "10"]]
    assert "20.0 percentage points" in trend.note and "significant" in trend.note
    assert board.nps.rows == [
        ["Promoters (9–10)", "4", "40.0%"],
        ["Passives (7–8)", "2", "20.0%"],
        ["Detractors (0–6)", "4", "40.0%"],
    ]
    assert "<svg" in board.nps.svg and "<svg" in trend.svg
    assert [row.key for row in board.survey] == ["csat", "nps"]
