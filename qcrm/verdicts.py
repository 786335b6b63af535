"""The words for ``qcrm.statistics.Verdict``: one label per verdict, used by every page, export,
PDF and API text that says how a figure stands against its target."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qcrm.statistics import Verdict

__all__ = ["VERDICT_LABELS", "verdict_label"]

VERDICT_LABELS = {
    Verdict.NO_TARGET: _l("no target"),
    Verdict.SIGNIFICANTLY_BETTER: _l("significantly better than the target"),
    Verdict.MEETS: _l("meets the target"),
    Verdict.MISSES: _l("misses, not significant"),
    Verdict.SIGNIFICANTLY_WORSE: _l("significantly worse than the target"),
}


def verdict_label(value: Verdict | str | None) -> str:
    """The label of a verdict (or of its stored value; None: no target) in the current language."""
    if value is None:
        return str(VERDICT_LABELS[Verdict.NO_TARGET])
    return str(VERDICT_LABELS[Verdict(value)])
