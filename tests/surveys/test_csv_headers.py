"""A CSV download names its charset once: ``text/csv; charset=utf-8; charset=utf-8`` is a
malformed header that some clients refuse (security review, point 6)."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.surveys.results_helpers import INVITATIONS, add_fixed_responses, add_invitations


@pytest.mark.parametrize("what", ["results", "answers"])
def test_a_csv_export_carries_exactly_one_charset(app, client, world, what):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id)
        add_invitations(world.survey_a.id, INVITATIONS)
    login(client, world.manager)
    response = client.get(f"/surveys/{world.survey_a.id}/export/{what}.csv")
    assert response.status_code == 200
    content_type = response.headers["Content-Type"]
    assert content_type.lower().count("charset=") == 1, content_type
    assert content_type == "text/csv; charset=utf-8"
