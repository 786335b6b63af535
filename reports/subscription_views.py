"""The page where readers subscribe to their clients' reports (mailed as PDF)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired

from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.input_guard import bounded_id
from qcrm.models import Client
from qcrm.permissions import allow
from reports import bp
from reports import delivery as service
from reports.access import REPORT_READERS
from reports.models import DeliveryFrequency


class SubscriptionForm(FlaskForm):
    """Subscribe to one client's reports, change the frequency, or unsubscribe."""

    client_id = HiddenField(validators=[DataRequired()])
    frequency = SelectField(
        _l("Send new reports"),
        choices=[SelectChoice(f.value, label) for f, label in service.FREQUENCY_LABELS.items()],
        default=DeliveryFrequency.WAVE_CLOSED.value,
    )
    subscribe = SubmitField(_l("Subscribe"))
    unsubscribe = SubmitField(_l("Unsubscribe"))


def _rows(forms: dict[int, SubscriptionForm] | None = None):
    subscriptions = {s.client_id: s for s in service.subscriptions_of(current_user)}
    clients = service.subscribable_clients(current_user)
    known = {client.id for client in clients}
    # a subscription to a client that was archived since stays listed, so it can be ended
    clients += [s.client for s in subscriptions.values() if s.client_id not in known]
    rows = []
    for client in clients:
        subscription = subscriptions.get(client.id)
        values = {"client_id": str(client.id)}
        if subscription is not None:
            values["frequency"] = subscription.frequency.value
        form = (forms or {}).get(client.id) or SubscriptionForm(formdata=None, **values)
        form.frequency.id = f"frequency-{client.id}"
        rows.append((client, subscription, form))
    return rows


@bp.get("/subscriptions")
@allow(*REPORT_READERS)
def subscriptions():
    return render_template(
        "reports/subscriptions.html", rows=_rows(), frequency_labels=service.FREQUENCY_LABELS
    )


@bp.post("/subscriptions")
@allow(*REPORT_READERS)
def change_subscription():
    form = SubscriptionForm()
    client_id = bounded_id(form.client_id.data)
    client = db.session.get(Client, client_id) if client_id else None
    if form.validate() and client is not None:
        try:
            if form.unsubscribe.data:
                existing = next(
                    (s for s in service.subscriptions_of(current_user) if s.client_id == client.id),
                    None,
                )
                if existing is not None:
                    service.unsubscribe(existing)
                flash(_("You no longer receive the reports of %(client)s.", client=client.name))
            else:
                frequency = DeliveryFrequency(form.frequency.data)
                service.subscribe(current_user, client.id, frequency)
                flash(
                    _(
                        "You receive the reports of %(client)s %(frequency)s.",
                        client=client.name,
                        frequency=service.FREQUENCY_LABELS[frequency],
                    ),
                    "success",
                )
            return redirect(url_for("reports.subscriptions"))
        except ServiceError as error:
            form.form_errors.extend(m for messages in error.errors.values() for m in messages)
    elif client is None:
        form.form_errors.append(_("Choose one of your clients."))
    forms = {client.id: form} if client is not None else {}
    return render_template(
        "reports/subscriptions.html",
        rows=_rows(forms),
        error_form=form,
        frequency_labels=service.FREQUENCY_LABELS,
    ), 422
