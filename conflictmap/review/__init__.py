"""Stage: analysts' decisions on incidents (confirm, correct, reject, merge, split, add), their
audit trail, and what the decisions say about the machine. Imports the store, the gazetteer and
the shared modules; the pipeline and re-extraction read its constraints so decisions survive.

``Reviews(store)`` is the façade; see ``review.decisions`` for why it is built as it is.
"""

from conflictmap.review.audit import audit_csv, audit_rows, history, write_audit_csv, write_audit_file
from conflictmap.review.decisions import ORIGIN_ANALYST, Reviews, ReviewState
from conflictmap.review.errors import ChangedMeanwhile, InvalidValue, ReviewError, UnknownIncident
from conflictmap.review.fields import ACTORS, REJECT_REASONS

__all__ = [
    "ACTORS",
    "ORIGIN_ANALYST",
    "REJECT_REASONS",
    "ChangedMeanwhile",
    "InvalidValue",
    "ReviewError",
    "ReviewState",
    "Reviews",
    "UnknownIncident",
    "audit_csv",
    "audit_rows",
    "history",
    "write_audit_csv",
    "write_audit_file",
]
