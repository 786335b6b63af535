"""API resources for waves, their schedules, and inquiries."""

from __future__ import annotations

import dataclasses

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, select

from audits.mystery import waves as service
from audits.mystery.access import get_inquiry_or_404, get_wave_or_404
from audits.mystery.models import HourBand, Inquiry, InquiryStatus, Wave, WaveStatus
from audits.mystery.schedule import WEEKDAY_CODES
from qcrm.api.base import ApiBlueprint
from qcrm.api.pagination import MAX_PAGE_SIZE, PAGE_SIZE, paginate
from qcrm.api.schemas import Id
from qcrm.extensions import csrf
from qcrm.models import Client, Role, User
from qcrm.permissions import acting_user, allow, visible_clients
from qcrm.validation import HOURS_PER_YEAR, MINUTES_PER_YEAR

PLANNERS = (Role.ADMIN, Role.MANAGER)

blp = ApiBlueprint("api_waves", __name__, url_prefix="/api/v1/waves", description="Waves")
inquiries_blp = ApiBlueprint(
    "api_inquiries", __name__, url_prefix="/api/v1/inquiries", description="Test inquiries"
)
csrf.exempt(blp)
csrf.exempt(inquiries_blp)

_share = validate.Range(min=0, max=1)
_score = validate.Range(min=0, max=100)
_hours = validate.Range(min=0, max=HOURS_PER_YEAR, min_inclusive=False)
_minutes = validate.Range(min=0, max=MINUTES_PER_YEAR, min_inclusive=False)


class WaveSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    client_id = Id(required=True)
    scorecard_version_id = Id(required=True)
    status = fields.Enum(WaveStatus, by_value=True, dump_only=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    channel_ids = fields.List(Id(), required=True)
    scenario_ids = fields.List(Id(), required=True)
    tester_ids = fields.List(Id(), required=True)
    contacts_per_cell = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    weekdays = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAY_CODES)), load_default=list(WEEKDAY_CODES[:5])
    )
    hour_bands = fields.List(
        fields.String(validate=validate.OneOf([b.value for b in HourBand])),
        load_default=["morning", "noon", "afternoon"],
    )
    within_business_hours = fields.Boolean(load_default=True)
    answer_timeouts = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        load_default=dict,
        metadata={"description": "hours per channel type; missing types get defaults"},
    )
    second_attempt_after_hours = fields.Float(allow_none=True, load_default=None, validate=_hours)
    auto_send_email = fields.Boolean(load_default=False)
    target_answer_rate = fields.Float(allow_none=True, load_default=None, validate=_share)
    target_frt_median_minutes = fields.Float(allow_none=True, load_default=None, validate=_minutes)
    target_frt_within_hours = fields.Float(allow_none=True, load_default=None, validate=_hours)
    target_frt_within_share = fields.Float(allow_none=True, load_default=0.9, validate=_share)
    target_dimension_scores = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["transaction", "communication", "handling"])),
        values=fields.Float(validate=_score),
        load_default=dict,
    )
    target_total_score = fields.Float(allow_none=True, load_default=None, validate=_score)
    lockout_days = fields.Integer(load_default=7, validate=validate.Range(min=0, max=365))
    persona_reuse_days = fields.Integer(load_default=14, validate=validate.Range(min=0, max=365))
    daily_cap_per_tester = fields.Integer(load_default=4, validate=validate.Range(min=1, max=100))
    seed = fields.Integer(dump_only=True)
    scheduled_at = fields.DateTime(dump_only=True, allow_none=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)


def _wave_out(wave: Wave) -> dict:
    """The wave with its relations as id lists, as WaveSchema describes it."""
    data = {
        column: getattr(wave, column) for column in WaveSchema().fields if hasattr(wave, column)
    }
    data["channel_ids"] = [c.id for c in wave.channels]
    data["scenario_ids"] = [s.id for s in wave.scenarios]
    data["tester_ids"] = [t.id for t in wave.testers]
    return data


def _wave_data(values: dict) -> service.WaveData:
    lists = ("channel_ids", "scenario_ids", "tester_ids", "weekdays", "hour_bands")
    return service.WaveData(
        **{key: tuple(value) if key in lists else value for key, value in values.items()}
    )


@blp.route("")
class WavesResource(MethodView):
    @allow(*PLANNERS)
    @blp.response(200, WaveSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, pagination_parameters):
        """The waves of the clients the caller sees, newest period first."""
        items = paginate(service.visible_waves(acting_user()), pagination_parameters)
        return [_wave_out(wave) for wave in items]

    @allow(*PLANNERS)
    @blp.arguments(WaveSchema)
    @blp.response(201, WaveSchema)
    def post(self, data):
        """Create a draft wave (its schedule is drawn with POST …/schedule)."""
        return _wave_out(service.create_wave(_wave_data(data), acting=acting_user()))


@blp.route("/<int:wave_id>")
class WaveResource(MethodView):
    @allow(*PLANNERS)
    @blp.response(200, WaveSchema)
    def get(self, wave_id: int):
        """One wave."""
        return _wave_out(get_wave_or_404(acting_user(), wave_id))

    @allow(*PLANNERS)
    @blp.arguments(WaveSchema(partial=True))
    @blp.response(200, WaveSchema)
    def patch(self, data, wave_id: int):
        """Change a draft wave; its drawn schedule is discarded."""
        wave = get_wave_or_404(acting_user(), wave_id)
        names = {f.name for f in dataclasses.fields(service.WaveData)}
        current = {key: value for key, value in _wave_out(wave).items() if key in names}
        merged = {**current, **data}
        return _wave_out(service.update_wave(wave, _wave_data(merged), acting=acting_user()))


class GenerateSchema(Schema):
    new_seed = fields.Boolean(load_default=False)


class PlanSchema(Schema):
    total = fields.Integer()
    problems = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_channel_day = fields.List(fields.Dict())
    by_band_weekday = fields.List(fields.Dict())
    by_tester = fields.List(fields.Dict())


def _plan_out(wave: Wave) -> dict:
    grids = service.plan_grids(wave)
    return {
        "total": grids.total,
        "problems": grids.problems,
        "by_channel_day": [
            {"channel_id": c, "date": d.isoformat(), "inquiries": n}
            for (c, d), n in sorted(grids.by_channel_day.items())
        ],
        "by_band_weekday": [
            {"hour_band": b.value, "weekday": w, "inquiries": n}
            for (b, w), n in sorted(
                grids.by_band_weekday.items(), key=lambda x: (x[0][1], x[0][0].value)
            )
        ],
        "by_tester": [
            {"tester_id": t, "inquiries": n} for t, n in sorted(grids.by_tester.items(), key=str)
        ],
    }


@blp.route("/<int:wave_id>/schedule")
class WaveScheduleResource(MethodView):
    @allow(*PLANNERS)
    @blp.response(200, PlanSchema)
    def get(self, wave_id: int):
        """The drawn schedule as counts per channel and day, time of day and weekday, tester."""
        return _plan_out(get_wave_or_404(acting_user(), wave_id))

    @allow(*PLANNERS)
    @blp.arguments(GenerateSchema)
    @blp.response(200, PlanSchema)
    def post(self, data, wave_id: int):
        """Draw the schedule (again); problems name the rules that could not be met."""
        wave = get_wave_or_404(acting_user(), wave_id)
        service.generate_schedule(wave, new_seed=data["new_seed"])
        return _plan_out(wave)


@blp.route("/<int:wave_id>/confirm")
class WaveConfirmResource(MethodView):
    @allow(*PLANNERS)
    @blp.response(200, WaveSchema)
    def post(self, wave_id: int):
        """Confirm the drawn schedule; the scorecard version is frozen."""
        wave = get_wave_or_404(acting_user(), wave_id)
        service.confirm_schedule(wave)
        return _wave_out(wave)


@blp.route("/<int:wave_id>/close")
class WaveCloseResource(MethodView):
    @allow(*PLANNERS)
    @blp.response(200, WaveSchema)
    def post(self, wave_id: int):
        """Close the wave now; inquiries without an outcome are cancelled."""
        wave = get_wave_or_404(acting_user(), wave_id)
        service.close_wave(wave)
        return _wave_out(wave)


class InquirySchema(Schema):
    id = fields.Integer()
    wave_id = fields.Integer()
    channel_id = fields.Integer()
    scenario_id = fields.Integer()
    tester_id = fields.Integer(allow_none=True)
    persona_id = fields.Integer(allow_none=True)
    planned_at = fields.DateTime()
    planned_hour_band = fields.Enum(HourBand, by_value=True)
    status = fields.Enum(InquiryStatus, by_value=True)
    plan_problem = fields.String(allow_none=True)


class InquiryQuerySchema(Schema):
    wave_id = Id()
    status = fields.Enum(InquiryStatus, by_value=True)
    tester_id = Id()
    channel_id = Id()
    planned_from = fields.DateTime(metadata={"description": "planned at or after (ISO 8601)"})
    planned_until = fields.DateTime(metadata={"description": "planned before (ISO 8601)"})


def visible_inquiries(user: User) -> Select[tuple[Inquiry]]:
    """Testers see their own inquiries; everyone else those of the clients they see."""
    query = select(Inquiry).join(Wave, Inquiry.wave_id == Wave.id)
    if user.role is Role.TESTER:
        return query.where(Inquiry.tester_id == user.id)
    return query.where(Wave.client_id.in_(visible_clients(user).with_only_columns(Client.id)))


@inquiries_blp.route("")
class InquiriesResource(MethodView):
    @allow(*PLANNERS, Role.TESTER)
    @inquiries_blp.arguments(InquiryQuerySchema, location="query")
    @inquiries_blp.response(200, InquirySchema(many=True))
    @inquiries_blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, args, pagination_parameters):
        """Inquiries, filtered by wave, status, tester, channel and planned time."""
        query = visible_inquiries(acting_user()).order_by(Inquiry.planned_at, Inquiry.id)
        for name in ("wave_id", "status", "tester_id", "channel_id"):
            if name in args:
                query = query.where(getattr(Inquiry, name) == args[name])
        if "planned_from" in args:
            query = query.where(Inquiry.planned_at >= args["planned_from"])
        if "planned_until" in args:
            query = query.where(Inquiry.planned_at < args["planned_until"])
        return paginate(query, pagination_parameters)


@inquiries_blp.route("/<int:inquiry_id>")
class InquiryResource(MethodView):
    @allow(*PLANNERS, Role.TESTER)
    @inquiries_blp.response(200, InquirySchema)
    def get(self, inquiry_id: int):
        """One inquiry (testers: only their own)."""
        return get_inquiry_or_404(acting_user(), inquiry_id)
