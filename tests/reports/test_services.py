"""Drafting, editing and publishing a report: SWOT items kept as rows, a published report frozen."""

from __future__ import annotations

import datetime as dt

import pytest

from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import User
from reports import services
from reports.models import Report, ReportStatus
from reports.snapshot import build_snapshot
from reports.swot import Quadrant
from tests.reports.test_analysis import _build

NOW = dt.datetime(2030, 2, 1, 9, 0, tzinfo=dt.UTC)


def _draft(world) -> Report:
    ids = _build(world)
    manager = db.session.get(User, world.manager.id)
    return services.create_report(
        services.ReportData("Welle A", ids["client"], wave_ids=(ids["wave"],)), manager, NOW
    )


def test_a_draft_gets_the_generated_swot_as_rows(app, world):
    with app.app_context():
        report = _draft(world)
        snapshot = build_snapshot(services.report_scope(report), NOW)
        generated = sum(len(items) for items in snapshot["swot"].values())
        assert len(report.findings) == generated > 0
        assert all(f.rule is not None and not f.edited for f in report.findings)
        assert report.status is ReportStatus.DRAFT and report.figures is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "Bericht\r\nBcc: x@y.example"}, "title"),
        ({"wave_ids": ()}, "wave_ids"),
        ({"period": (dt.date(2030, 2, 1), dt.date(2030, 1, 1))}, "period_end"),
    ],
)
def test_a_report_needs_a_title_and_a_scope(app, world, change, field):
    with app.app_context():
        manager = db.session.get(User, world.manager.id)
        data = {"title": "Bericht", "client_id": world.client_a.id, "wave_ids": (world.wave_a.id,)}
        data.update(change)
        with pytest.raises(ServiceError) as caught:
            services.create_report(services.ReportData(**data), manager, NOW)
        assert field in caught.value.errors


def test_waves_and_channels_must_be_the_clients(app, world):
    with app.app_context():
        manager = db.session.get(User, world.manager.id)
        data = services.ReportData(
            "Bericht",
            world.client_a.id,
            wave_ids=(world.wave_b.id,),
            channel_ids=(world.channel_b.id,),
        )
        with pytest.raises(ServiceError) as caught:
            services.create_report(data, manager, NOW)
        assert {"wave_ids", "channel_ids"} <= set(caught.value.errors)


def test_a_client_manager_reports_only_on_their_clients(app, world):
    with app.app_context():
        manager = db.session.get(User, world.client_manager.id)
        data = services.ReportData("Bericht", world.client_b.id, wave_ids=(world.wave_b.id,))
        with pytest.raises(ServiceError) as caught:
            services.create_report(data, manager, NOW)
        assert "client_id" in caught.value.errors


def test_edits_additions_and_removals_are_kept_and_marked(app, world):
    with app.app_context():
        report = _draft(world)
        first, second = report.findings[0], report.findings[1]
        services.edit_finding(first, "Die Hotline ist schnell.")
        services.remove_finding(second)
        added = services.add_finding(report, Quadrant.OPPORTUNITY, "Chat ausbauen.")
        assert (first.text, first.edited) == ("Die Hotline ist schnell.", True)
        assert second.removed and second in report.findings
        assert added.edited and added.rule is None

        services.regenerate_findings(report, NOW)
        rules = [(f.rule, f.text, f.removed) for f in report.findings]
        assert (first.rule, "Die Hotline ist schnell.", False) in rules
        assert rules.count((second.rule, None, True)) == 1
        assert len([f for f in report.findings if f.data == second.data]) == 1
        assert (None, "Chat ausbauen.", False) in rules
        with pytest.raises(ServiceError):
            services.edit_finding(first, "   ")


def test_publishing_stores_the_figures_and_freezes_the_report(app, world):
    with app.app_context():
        report = _draft(world)
        manager = db.session.get(User, world.manager.id)
        services.publish_report(report, manager, NOW)
        assert report.status is ReportStatus.PUBLISHED and report.published_at == NOW
        assert report.figures == build_snapshot(services.report_scope(report), NOW)
        assert services.current_snapshot(report) is report.figures
        with pytest.raises(ServiceError):
            services.publish_report(report, manager, NOW)
        with pytest.raises(ServiceError):
            services.edit_finding(report.findings[0], "Anders.")
        with pytest.raises(ServiceError):
            services.add_finding(report, Quadrant.THREAT, "Neu.")


def test_executives_list_only_published_reports(app, world):
    with app.app_context():
        draft = _draft(world)
        manager = db.session.get(User, world.manager.id)
        executive = db.session.get(User, world.executive.id)
        # the world has a published report per client; the executive sees client A only
        assert db.session.scalars(services.visible_reports(executive)).all() == [
            db.session.get(Report, world.report_a.id)
        ]
        assert draft in db.session.scalars(services.visible_reports(manager)).all()
        services.publish_report(draft, manager, NOW)
        assert draft in db.session.scalars(services.visible_reports(executive)).all()
        client_manager = db.session.get(User, world.client_manager.id)
        assert world.report_b.id not in {
            r.id for r in db.session.scalars(services.visible_reports(client_manager))
        }
