"""What may be told about invitations and responses without tying an answer to an address.

The adversary this module is written against (issue 11): a manager, an executive or an API
client who reads every page, export and API field about a survey, as often as they like (say,
after every single submission), and lays them side by side. Two rules keep every response
unlinkable to an invitee's address:

1. **Nothing said about one invitation depends on whether or when it was answered.** Per
   address, "answered" and "reminded" (reminders go only to those who have not answered) read
   as "invited"; no answered day, reminder day or mail count leaves the application, nor a
   reminder in the history or a reminder mail's failure. Polling the list therefore shows no
   address change when someone answers, so arrival times cannot be laid against addresses.
   The counts of the whole survey (answered, reminded, response rate) stay: a count says
   nothing about an address.
2. **A response is tied to a source or a channel only where at least the survey's minimum
   number of responses share that cell** (with the complementary suppression of
   ``surveys.results.suppressed_cells``, so that the total minus the shown cells gives no small
   cell away). Everything that ties a response to a channel obeys it alike: the response's own
   channel field in the API and the raw export, the channel breakdown of the results, the
   channel filter. Otherwise a lone invitee in a channel could be read off the channel.

And responses leave without their arrival order: they are known by a random ``key`` (never
by the growing ``id``), listed in the order of that key or of their content, and dated only
at the finest grain (day, ISO week, month) at which every (date, source, channel) cell of the
survey holds at least the minimum, or not at all.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from qcrm.extensions import db
from surveys.models import (
    Delivery,
    Invitation,
    InvitationEvent,
    InvitationState,
    Response,
    ResponseSource,
    Survey,
)

# --- rule 1: per address ------------------------------------------------------------------------

#: What a reader is told of an invitation's state: answering and reminding are not told.
SHOWN_STATE: dict[InvitationState, InvitationState] = {
    InvitationState.PENDING: InvitationState.PENDING,
    InvitationState.INVITED: InvitationState.INVITED,
    InvitationState.REMINDED: InvitationState.INVITED,
    InvitationState.ANSWERED: InvitationState.INVITED,
    InvitationState.OPTED_OUT: InvitationState.OPTED_OUT,
    InvitationState.BOUNCED: InvitationState.BOUNCED,
}
#: The states a per-address list can be filtered by (each stands for those shown as it).
SHOWN_STATES = (
    InvitationState.PENDING,
    InvitationState.INVITED,
    InvitationState.OPTED_OUT,
    InvitationState.BOUNCED,
)
#: History entries that are told per address (a reminder tells "not answered by then").
SHOWN_EVENT_STATES = frozenset(SHOWN_STATES)


def shown_state(invitation: Invitation) -> InvitationState:
    return SHOWN_STATE[invitation.state]


def states_shown_as(state: InvitationState) -> list[InvitationState]:
    """The stored states a filter on ``state`` (one of SHOWN_STATES) stands for."""
    return [stored for stored, shown in SHOWN_STATE.items() if shown is state]


def shown_events(events: Iterable[InvitationEvent]) -> list[InvitationEvent]:
    return [event for event in events if event.state in SHOWN_EVENT_STATES]


def mail_problem_shown(invitation: Invitation) -> bool:
    """A mail problem is told only while the invitation itself is not delivered: once it is,
    the only later mail is a reminder, and its failure would tell "not answered by then"."""
    return invitation.delivery is not Delivery.DELIVERED


# --- rule 2 and the dates: per response ---------------------------------------------------------


class DateGrain(enum.Enum):
    """How finely a response's date may be told."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


DATE_GRAIN_LABELS = {
    DateGrain.DAY: _l("day"),
    DateGrain.WEEK: _l("week (Monday)"),
    DateGrain.MONTH: _l("month (first day)"),
}


def date_in_grain(day: dt.date, grain: DateGrain) -> dt.date:
    """The first day of ``day``'s bucket: the day itself, its ISO week's Monday, its month's 1st."""
    if grain is DateGrain.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if grain is DateGrain.MONTH:
        return day.replace(day=1)
    return day


def dated_label(day: dt.date | None, grain: DateGrain | None) -> str:
    """A told date as words of its grain: "7 Jan 2030", "Week 2/2030", "January 2030"."""
    if day is None or grain is None:
        return ""
    if grain is DateGrain.WEEK:
        year, week, _weekday = day.isocalendar()
        return _("Week %(week)d/%(year)d", week=week, year=year)
    if grain is DateGrain.MONTH:
        return format_date(day, "MMMM yyyy")
    return format_date(day, "medium")


#: A cell of responses: (source, channel id); None stands for "not told".
Cell = tuple[ResponseSource | None, int | None]


def suppressed_cells(
    n_by_cell: Mapping[Hashable, int], minimum: int, also: Iterable[Hashable] = ()
) -> set[Hashable]:
    """Cells of a breakdown that must not be told on their own: those below ``minimum`` (and
    ``also``), plus the smallest told ones while the hidden cells together are still below it
    (the total minus the told cells would otherwise give a small hidden group away)."""
    hidden = {cell for cell, n in n_by_cell.items() if n < minimum} | set(also) & set(n_by_cell)
    hidden_n = sum(n_by_cell[cell] for cell in hidden)
    shown = sorted(
        (cell for cell in n_by_cell if cell not in hidden), key=lambda c: (n_by_cell[c], str(c))
    )
    while 0 < hidden_n < minimum and shown:
        cell = shown.pop(0)
        hidden.add(cell)
        hidden_n += n_by_cell[cell]
    return hidden


@dataclass(frozen=True)
class Disclosure:
    """What may be told of each response of one survey (see the module docstring).

    ``cells``: the (source, channel) pairs told as they are; ``sources``: the sources told at
    all; ``hidden_channels``: channels some of whose responses are not told by channel;
    ``grain``: how finely dates are told (None: not at all).
    """

    minimum: int
    sources: frozenset[ResponseSource]
    cells: frozenset[tuple[ResponseSource, int | None]]
    hidden_channels: frozenset[int | None]
    grain: DateGrain | None

    def cell(self, source: ResponseSource, channel_id: int | None) -> Cell:
        """(source, channel) of a response as it may be told."""
        return _told_cell(self.sources, self.cells, source, channel_id)

    def channel_shown(self, channel_id: int | None) -> bool:
        """Whether a channel's responses may be told apart from the others (a breakdown row,
        a filter): it has responses and every source's cell of it is told."""
        has_cells = any(channel == channel_id for _source, channel in self.cells)
        return has_cells and channel_id not in self.hidden_channels

    def date(self, day: dt.date) -> dt.date | None:
        return None if self.grain is None else date_in_grain(day, self.grain)


def _told_cell(sources, cells, source: ResponseSource, channel_id: int | None) -> Cell:
    if source not in sources:
        return (None, None)
    return (source, channel_id if (source, channel_id) in cells else None)


def disclosure_from_counts(
    counts: Mapping[tuple[ResponseSource, int | None, dt.date], int], minimum: int
) -> Disclosure:
    """The disclosure for responses counted per (source, channel, day).

    Sources, then each told source's channels, go through ``suppressed_cells``; then the
    finest date grain at which no (date, told source, told channel) cell is below ``minimum``.
    """
    by_source: dict[ResponseSource, int] = defaultdict(int)
    by_cell: dict[ResponseSource, dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    for (source, channel, _day), n in counts.items():
        by_source[source] += n
        by_cell[source][channel] += n
    hidden_sources = suppressed_cells(by_source, minimum)
    sources = frozenset(source for source in by_source if source not in hidden_sources)
    cells: set[tuple[ResponseSource, int | None]] = set()
    hidden_channels: set[int | None] = set()
    for source, channels in by_cell.items():
        hidden = suppressed_cells(channels, minimum) if source in sources else set(channels)
        cells.update((source, channel) for channel in channels if channel not in hidden)
        hidden_channels.update(hidden)
    grain = None
    for candidate in DateGrain:
        by_date_cell: dict[tuple[dt.date, Cell], int] = defaultdict(int)
        for (source, channel, day), n in counts.items():
            told = _told_cell(sources, cells, source, channel)
            by_date_cell[date_in_grain(day, candidate), told] += n
        if all(n >= minimum for n in by_date_cell.values()):
            grain = candidate
            break
    return Disclosure(minimum, sources, frozenset(cells), frozenset(hidden_channels), grain)


def response_counts(survey: Survey) -> dict[tuple[ResponseSource, int | None, dt.date], int]:
    """The survey's responses counted per (source, channel, day): one covered GROUP BY."""
    rows = db.session.execute(
        select(Response.source, Response.channel_id, Response.submitted_on, func.count())
        .where(Response.survey_id == survey.id)
        .group_by(Response.submitted_on, Response.channel_id, Response.source)
    ).all()
    return {(source, channel, day): n for source, channel, day, n in rows}


def disclosure_of(survey: Survey) -> Disclosure:
    return disclosure_from_counts(response_counts(survey), survey.min_responses)
