"""Errors that services raise and that views and the API turn into field-level messages."""

from __future__ import annotations

from collections.abc import Mapping


class ServiceError(Exception):
    """A business rule refused the input; ``errors`` maps field names to messages.

    The view puts each message onto the form field of the same name; the API returns them as
    an RFC 9457 problem document with status 422. Messages are already translated.
    """

    def __init__(self, errors: Mapping[str, str | list[str]]):
        self.errors = {
            field: [messages] if isinstance(messages, str) else list(messages)
            for field, messages in errors.items()
        }
        super().__init__("; ".join(f"{f}: {' '.join(m)}" for f, m in self.errors.items()))

    @classmethod
    def on(cls, field: str, message: str) -> ServiceError:
        return cls({field: message})
