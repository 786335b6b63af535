"""Translated names for wave and inquiry states and for the planning rules."""

from flask_babel import lazy_gettext as _l

from audits.mystery import dispatch
from audits.mystery.models import InquiryStatus, ReviewStatus, WaveStatus
from audits.mystery.schedule import PlanProblem

WAVE_STATUS_LABELS = {
    WaveStatus.DRAFT: _l("Draft"),
    WaveStatus.SCHEDULED: _l("Scheduled"),
    WaveStatus.RUNNING: _l("Running"),
    WaveStatus.CLOSED: _l("Closed"),
}
INQUIRY_STATUS_LABELS = {
    InquiryStatus.PLANNED: _l("planned"),
    InquiryStatus.DUE: _l("due"),
    InquiryStatus.SENT: _l("sent, awaiting an answer"),
    InquiryStatus.ANSWERED: _l("answered"),
    InquiryStatus.UNANSWERED: _l("unanswered"),
    InquiryStatus.NOT_CONTACTABLE: _l("not contactable"),
    InquiryStatus.CANCELLED: _l("cancelled"),
}
REVIEW_STATUS_LABELS = {
    ReviewStatus.DRAFT: _l("being logged"),
    ReviewStatus.SUBMITTED: _l("submitted"),
    ReviewStatus.RETURNED: _l("returned for correction"),
    ReviewStatus.APPROVED: _l("approved"),
}
PLAN_PROBLEM_LABELS = {
    PlanProblem.NO_TESTERS: _l("There is no tester in the pool."),
    PlanProblem.EXCLUDED_CLIENT: _l("Every tester in the pool is excluded from this client."),
    PlanProblem.LOCKOUT: _l(
        "Every tester who may take it contacted this channel within the lockout period."
    ),
    PlanProblem.DAILY_CAP: _l("Every tester who may take it has reached the daily cap."),
    PlanProblem.NO_PERSONA: _l("No persona may be used by the assigned tester."),
    PlanProblem.PERSONA_REUSE: _l(
        "Every persona of the tester was used on this channel within the reuse period."
    ),
    PlanProblem.PERSONA_WITHOUT_EMAIL: _l(
        "The e-mail is sent automatically, but no persona of the tester has an e-mail address."
    ),
}
#: The scheduler's jobs on inquiries, as the wave page names them in its list of problems.
DISPATCH_JOB_LABELS = {
    dispatch.DUE_JOB: _l("making it due and telling the tester"),
    dispatch.SEND_JOB: _l("sending the e-mail"),
    dispatch.SECOND_ATTEMPTS_JOB: _l("planning the second attempt"),
    dispatch.OVERDUE_JOB: _l("marking it overdue"),
    dispatch.UNANSWERED_JOB: _l("marking it unanswered"),
}
