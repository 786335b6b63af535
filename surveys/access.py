"""Fine access rules for surveys: another client's survey answers 404."""

from __future__ import annotations

from flask import abort

from qcrm.extensions import db
from qcrm.models import Role, User
from qcrm.permissions import can_see_client, scope_url_parameter
from surveys.models import Survey

#: Who builds and distributes surveys; executives read results; testers see no survey data.
SURVEY_EDITORS = (Role.ADMIN, Role.MANAGER)
SURVEY_READERS = (Role.ADMIN, Role.MANAGER, Role.EXECUTIVE)


def get_survey_or_404(user: User, survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None or user.role is Role.TESTER or not can_see_client(user, survey.client_id):
        abort(404)
    return survey


scope_url_parameter("survey_id", get_survey_or_404)
