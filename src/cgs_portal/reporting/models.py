"""What a monthly report stores: uploads (blobs), filings, parsed rows, amendments.

A filing's rows live in their own persistent ``RowStore`` so that the report page
and the statistics (which read ``Filing.aggregates``) never load them; replacing a
filing is one attribute assignment inside one transaction, so a reader sees either
the old filing or the new one, never a mix.
"""
from __future__ import annotations

from persistent import Persistent
from persistent.list import PersistentList
from ZODB.blob import Blob

CHUNK = 1 << 16


class RowStore(Persistent):
    """The stored rows of one validated workbook: ``cases`` and ``services`` (tuples of dicts)."""

    def __init__(self, rows: dict):
        self.cases = tuple(_clean(r) for r in rows.get("cases", ()))
        self.services = tuple(_clean(r) for r in rows.get("services", ()))

    def get(self, key):
        return self.cases if key == "cases" else self.services


def _clean(row: dict) -> dict:
    out = {k: v for k, v in row.items() if k != "_ok"}
    for k, v in out.items():
        if isinstance(v, list):
            out[k] = tuple(v)
    return out


class Upload(Persistent):
    """One uploaded file, kept as a blob with its validation result.

    ``status``: ``refused`` (fatal or errors), ``pending`` (valid, waiting for the unit to
    confirm warnings or a replacement), ``filed``, ``superseded`` (a later upload was
    filed or confirmed instead).
    """

    notices = ()  # what the engine took from the filing (older uploads have none)

    def __init__(self, number, filename, uploaded_at, uploaded_by):
        self.number = number
        self.filename = filename
        self.uploaded_at = uploaded_at
        self.uploaded_by = uploaded_by
        self.size = 0
        self.blob = Blob()
        self.status = "refused"
        self.fatal = None
        self.version = None
        self.problems = ()  # tuples of dicts (see reporting.intake.problem_dict)
        self.summary = {}
        self.aggregates = None
        self.rows = None  # RowStore when valid
        self.error_count = 0
        self.warning_count = 0

    def write_from(self, source) -> int:
        """Copy a file object into the blob in chunks; returns the size."""
        size = 0
        with self.blob.open("w") as out:
            while True:
                chunk = source.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                size += len(chunk)
        self.size = size
        return size

    @property
    def has_annotated_copy(self) -> bool:
        """Only a workbook read cell by cell has one: a file refused as a whole (a PDF, a
        password, another unit's month …) has nothing to mark, and is never served back as
        an .xlsx."""
        return self.fatal is None and bool(self.problems)

    @property
    def errors(self):
        return [p for p in self.problems if p["severity"] == "error"]

    @property
    def warnings(self):
        return [p for p in self.problems if p["severity"] == "warning"]


class Filing(Persistent):
    """One filing of a month: with cases (from an upload) or 「當月無個案及服務」."""

    def __init__(self, kind, filed_at, filed_by, late, *, upload=None, serial=0):
        self.kind = kind  # "cases" | "no_cases"
        self.filed_at = filed_at
        self.filed_by = filed_by
        self.late = late
        self.serial = serial
        self.upload_number = upload.number if upload is not None else None
        self.version = upload.version if upload is not None else None
        self.summary = dict(upload.summary) if upload is not None else {}
        self.aggregates = upload.aggregates if upload is not None else None
        self.rows = upload.rows if upload is not None else None
        self.warnings_confirmed = tuple(p["message"] for p in upload.warnings) if upload else ()

    @property
    def counts(self) -> dict:
        if self.aggregates:
            return dict(self.aggregates.get("counts", {}))
        return {"cases": 0, "services": 0, "sessions": 0}


class Amendment(Persistent):
    """A unit's request to change a filed month, and the decision on it."""

    def __init__(self, reason, requested_at, requested_by):
        self.reason = reason
        self.requested_at = requested_at
        self.requested_by = requested_by
        self.decided_at = None
        self.decided_by = None
        self.decision = None  # "approved" | "refused"
        self.decision_note = ""
        self.open_until = None
        self.outcome = None  # "refiled" | "expired"


def new_history():
    return PersistentList()
