"""The snapshot: every figure of a report as plain JSON, the same numbers the analysis computed."""

from __future__ import annotations

import datetime as dt
import json

from flask_babel import force_locale

from qcrm.extensions import db
from reports.analysis import ReportScope, mystery_figures
from reports.snapshot import build_snapshot, finding_from_json, scope_from_json, to_json
from reports.swot import sentence
from tests.reports.test_analysis import _build

NOW = dt.datetime(2030, 2, 1, 9, 0, tzinfo=dt.UTC)


def test_the_snapshot_is_plain_json_with_the_analysis_figures(app, world):
    with app.app_context():
        ids = _build(world)
        scope = ReportScope(ids["client"], wave_ids=(ids["wave"],))
        snapshot = build_snapshot(scope, NOW)
        figures = mystery_figures(scope)
        db.session.rollback()

    assert json.loads(json.dumps(snapshot)) == snapshot
    rate = snapshot["mystery"]["answer_rate"]
    assert (rate["value"], rate["n"], rate["target"]) == (0.7, 10, 0.8)
    assert (rate["low"], rate["high"]) == (
        figures.answer_rate.interval.low,
        figures.answer_rate.interval.high,
    )
    assert rate["meets_target"] is False and rate["small_sample"] is True
    assert snapshot["mystery"]["counts"]["sent"] == 10
    assert scope_from_json(snapshot["scope"]) == scope
    assert snapshot["generated_at"] == "2030-02-01T09:00:00+00:00"
    # a pooled share is published with n = contacts and its contact-clustered interval
    # (test_methods: 12 of 20 answers from 10 contacts, [0.315224, 0.884776])
    (individual,) = [c for c in snapshot["matrix"]["cells"] if c["dimension"] == "individuality"]
    assert (individual["successes"], individual["answers"]) == (12, 20)
    assert individual["figure"]["n"] == 10 and individual["figure"]["small_sample"] is True
    assert round(individual["figure"]["low"], 6) == 0.315224
    assert round(individual["figure"]["high"], 6) == 0.884776
    overall = snapshot["matrix"]["mystery_overall"]
    assert (overall["successes"], overall["answers"], overall["figure"]["n"]) == (26, 39, 10)


def test_a_stored_finding_reads_back_to_the_same_sentence(app, world):
    with app.app_context():
        ids = _build(world)
        snapshot = build_snapshot(ReportScope(ids["client"], wave_ids=(ids["wave"],)), NOW)
        findings = [item for quadrant in snapshot["swot"].values() for item in quadrant]
        assert findings, "the fixed data set yields SWOT findings"
        for data in findings:
            finding = finding_from_json(data)
            assert to_json(finding) == data
            for language in ("de", "en"):
                with force_locale(language):
                    assert sentence(finding)
