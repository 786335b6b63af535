"""Which wave a report's changes are measured against: the previous comparable wave by
DOMAIN.md's one rule, another closed wave a manager picks on the draft, or none — and the page
and the PDF say which."""

from __future__ import annotations

import datetime as dt

import pytest

from audits.mystery.models import Wave, WaveStatus
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import User
from reports import services
from reports.documents import report_document
from reports.models import Report
from tests.conftest import login
from tests.reports.test_analysis import _build, _previous_wave

NOW = dt.datetime(2030, 2, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def draft(app, world):
    """A draft of wave A; before it a closed "Herbst" (comparable) and a closed "Pilot" on
    the same scorecard that ended even earlier."""
    with app.app_context():
        ids = _build(world)
        autumn = _previous_wave(world, "Herbst", dt.date(2029, 10, 1), WaveStatus.CLOSED)
        pilot = _previous_wave(world, "Pilot", dt.date(2029, 6, 3), WaveStatus.CLOSED)
        running = _previous_wave(world, "Läuft", dt.date(2029, 11, 5), WaveStatus.RUNNING)
        db.session.commit()
        report = services.create_report(
            services.ReportData("Welle A", ids["client"], wave_ids=(ids["wave"],)),
            db.session.get(User, world.manager.id),
            NOW,
        )
        world.report_id, world.autumn, world.pilot = report.id, autumn.id, pilot.id
        world.running = running.id
    return world


def _snapshot(draft):
    return services.current_snapshot(db.session.get(Report, draft.report_id), NOW)


def test_a_draft_compares_with_the_previous_comparable_wave_and_says_so(app, draft):
    with app.app_context():
        snapshot = _snapshot(draft)
        assert snapshot["previous_scope"]["wave_ids"] == [draft.autumn]
        assert snapshot["comparison_basis"] == "previous_comparable"
        document = report_document(db.session.get(Report, draft.report_id), "en", NOW)
    assert document.comparison.startswith("Changes are measured against Herbst, the previous")


def test_a_manager_picks_another_closed_wave_or_none(app, draft):
    with app.app_context():
        report = db.session.get(Report, draft.report_id)
        services.choose_comparison(report, draft.pilot, False)
        snapshot = _snapshot(draft)
        assert snapshot["previous_scope"]["wave_ids"] == [draft.pilot]
        assert snapshot["comparison_basis"] == "chosen"
        assert snapshot["comparison"]["answer_rate"]["previous"] is None  # the pilot is empty
        services.choose_comparison(report, None, True)
        snapshot = _snapshot(draft)
        assert (snapshot["previous_scope"], snapshot["comparison"]) == (None, None)
        assert snapshot["comparison_basis"] == "none"
        document = report_document(db.session.get(Report, draft.report_id), "de", NOW)
        assert document.comparison == (
            "Kein Vergleich mit einer früheren Welle: Ein Qualitätsmanager hat keinen gewählt."
        )
        services.choose_comparison(report, None, False)
        assert _snapshot(draft)["previous_scope"]["wave_ids"] == [draft.autumn]


@pytest.mark.parametrize("which", ["running", "own", "foreign"])
def test_only_a_closed_wave_of_the_client_outside_the_report_can_be_picked(app, draft, which):
    with app.app_context():
        report = db.session.get(Report, draft.report_id)
        wave_id = {
            "running": draft.running,
            "own": draft.wave_a.id,
            "foreign": draft.wave_b.id,
        }[which]
        if which == "foreign":
            db.session.get(Wave, wave_id).status = WaveStatus.CLOSED
            db.session.commit()
        with pytest.raises(ServiceError) as refused:
            services.choose_comparison(report, wave_id, False)
        assert "comparison_wave_id" in refused.value.errors
        db.session.rollback()
        assert db.session.get(Report, draft.report_id).comparison_wave_id is None


def test_the_draft_page_names_the_wave_and_offers_the_choice_to_managers_only(app, draft):
    manager, executive = app.test_client(), app.test_client()
    with app.app_context():
        login(manager, db.session.get(User, draft.manager.id))
        login(executive, db.session.get(User, draft.executive.id))
    page = manager.get(f"/reports/{draft.report_id}").get_data(as_text=True)
    assert "Changes are measured against Herbst" in page
    assert 'id="comparison-form"' in page
    assert ">Pilot</option>" in page and ">Läuft</option>" not in page
    changed = manager.post(
        f"/reports/{draft.report_id}/comparison", data={"compare_with": str(draft.pilot)}
    )
    assert changed.status_code == 302
    page = manager.get(f"/reports/{draft.report_id}").get_data(as_text=True)
    assert "Changes are measured against Pilot, chosen by a quality manager." in page
    refused = manager.post(
        f"/reports/{draft.report_id}/comparison",
        data={"compare_with": "abc"},
        follow_redirects=True,
    )
    assert "Choose a closed wave of the report" in refused.get_data(as_text=True)
    assert executive.post(
        f"/reports/{draft.report_id}/comparison", data={"compare_with": "none"}
    ).status_code in (403, 404)
