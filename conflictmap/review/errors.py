"""What a refused decision says: which field and value, or who changed the incident meanwhile.

Each error carries its facts as attributes as well as in the message, so the dashboard can put
the message next to the right control (``field``) or offer to reload (``ChangedMeanwhile``).
"""

from __future__ import annotations

from typing import Any


class ReviewError(ValueError):
    """A decision that cannot be recorded; nothing was written."""


class InvalidValue(ReviewError):
    """A field of a decision has a value the vocabulary or the data does not allow."""

    def __init__(self, field: str, value: Any, why: str) -> None:
        self.field, self.value, self.why = field, value, why
        super().__init__(f"{field}: {value!r} {why}")


class UnknownIncident(ReviewError):
    """No report of the store belongs to this incident id (a stale link, or a typo)."""

    def __init__(self, incident_id: str) -> None:
        self.incident_id = incident_id
        super().__init__(f"incident {incident_id!r}: no such incident in the store (reload the view)")


class ChangedMeanwhile(ReviewError):
    """Someone decided on the incident since the version the caller saw: nothing was overwritten."""

    def __init__(
        self, incident_id: str, expected: int, current: int, who: str | None, when: str | None
    ) -> None:
        self.incident_id, self.expected, self.current = incident_id, expected, current
        self.who, self.when = who, when
        super().__init__(
            f"incident {incident_id} changed meanwhile: {who or 'someone'} made it version {current} "
            f"at {when or 'an unknown time'} (you had version {expected}); reload it and decide again"
        )
