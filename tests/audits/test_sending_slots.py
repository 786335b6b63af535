"""An inquiry keeps when its first attempt actually went out, in the channel's time zone: the
reports break figures down by that, never by the planned slot (DOMAIN.md)."""

from __future__ import annotations

import datetime as dt

import time_machine

from audits.mystery import contact_logs, dispatch
from audits.mystery.models import HourBand, Inquiry
from qcrm.db import utcnow
from qcrm.extensions import db
from tests.audits.helpers import run_wave

PLANNED = dt.datetime(2030, 1, 7, 9, 30, tzinfo=dt.UTC)  # Monday 10:30 in Berlin: morning
#: Tuesday 18:10 in Berlin (17:10 UTC): the evening band of the next day.
TUESDAY_EVENING = dt.datetime(2030, 1, 8, 17, 10, tzinfo=dt.UTC)


def test_a_sending_logged_by_the_tester_a_day_late_keeps_its_own_weekday_and_band(app, world):
    run_wave(app, world)
    with app.app_context(), time_machine.travel(TUESDAY_EVENING, tick=False):
        dispatch.make_inquiries_due(PLANNED)
        inquiry = db.session.get(Inquiry, world.inquiry_a.id)
        assert (inquiry.planned_weekday, inquiry.planned_hour_band) == (0, HourBand.MORNING)
        contact_logs.record_sent(inquiry, inquiry.tester, 1, TUESDAY_EVENING)
        db.session.expire_all()
        inquiry = db.session.get(Inquiry, world.inquiry_a.id)
        assert (inquiry.sent_weekday, inquiry.sent_hour_band) == (1, HourBand.EVENING)
        # a corrected time moves it again: Monday 23:30 UTC is Tuesday 00:30 in Berlin, night
        contact_logs.record_sent(
            inquiry, inquiry.tester, 1, dt.datetime(2030, 1, 7, 23, 30, tzinfo=dt.UTC), "Tippfehler"
        )
        assert (inquiry.sent_weekday, inquiry.sent_hour_band) == (1, HourBand.NIGHT)


def test_an_automatic_e_mail_sent_late_by_the_scheduler_keeps_its_actual_slot(
    make_app, world, smtp_server
):
    app = make_app(AUDIT_MAIL_DOMAIN="audit.example")
    run_wave(app, world, auto_send_email=True)
    with app.app_context():
        with time_machine.travel(PLANNED, tick=False):
            dispatch.make_inquiries_due(utcnow())
        with time_machine.travel(TUESDAY_EVENING, tick=False):
            assert dispatch.send_automatic_attempts(utcnow(), "w1") >= 1
        db.session.expire_all()
        inquiry = db.session.get(Inquiry, world.inquiry_a.id)
        assert inquiry.attempts[0].sent_at == TUESDAY_EVENING
        assert (inquiry.sent_weekday, inquiry.sent_hour_band) == (1, HourBand.EVENING)
