"""What the reminders concern stores: the closures list, the ledger of every reminder sent
(one record per step, month and recipient), the runs, and the editable mail texts.

All of it hangs off ``root.reminders`` (a :class:`Reminders`), created by the concern's
evolve step 1. BTrees throughout, so a run's batches and an admin's edits touch few buckets.
"""
from __future__ import annotations

import datetime as dt

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.list import PersistentList

from .. import calendar

NATIONWIDE = "*"  # the county key of a closure or working day that applies everywhere
CLOSED = "closed"  # 停班停課 (typhoon day) or another extra closure
WORKING = "working"  # an extra working day (a 補行上班 the holidays release does not know)
KIND_LABELS = {CLOSED: "停止上班（停班停課）", WORKING: "補行上班"}

SENT = "sent"
QUEUED = "queued"
FAILED = "failed"
UNREACHABLE = "unreachable"
STATUS_LABELS = {SENT: "已寄出", QUEUED: "已排入寄送佇列", FAILED: "寄送失敗", UNREACHABLE: "無法通知"}


class Closure(Persistent):
    """One day an admin entered: closed (or working) nationwide or in one county."""

    def __init__(self, day: dt.date, county: str, kind: str, note: str, by: str, at: dt.datetime):
        self.day = day
        self.county = county
        self.kind = kind
        self.note = note
        self.by = by
        self.at = at

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.day.isoformat(), self.county, self.kind)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


class WorkCalendar:
    """The working days of one county (or of the nation): the office calendar and the closures."""

    def __init__(self, closed=frozenset(), working=frozenset()):
        self.closed = frozenset(closed)
        self.working = frozenset(working)

    def is_working_day(self, day: dt.date) -> bool:
        return calendar.is_working_day(day, self.closed, self.working)

    def next_working_day(self, day: dt.date) -> dt.date:
        return calendar.next_working_day(day, self.closed, self.working)

    def first_working_day_after(self, day: dt.date) -> dt.date:
        return calendar.first_working_day_after(day, self.closed, self.working)


class Closures(Persistent):
    """The admin-maintained closures and extra working days, by (date, county, kind)."""

    def __init__(self):
        self.entries = OOBTree()

    def add(self, day, county, kind, note, by, at) -> Closure:
        if kind not in KIND_LABELS:
            raise ValueError(f"unknown kind {kind!r}")
        closure = Closure(day, county or NATIONWIDE, kind, note, by, at)
        self.entries[closure.key] = closure
        return closure

    def remove(self, key) -> Closure | None:
        return self.entries.pop(tuple(key), None)

    def get(self, key):
        return self.entries.get(tuple(key))

    def __iter__(self):
        return iter(self.entries.values())

    def calendar_for(self, county: str | None = None) -> WorkCalendar:
        """The calendar of ``county`` (nationwide entries plus its own); None: nationwide only."""
        closed, working = set(), set()
        for closure in self.entries.values():
            if closure.county == NATIONWIDE or closure.county == county:
                (closed if closure.kind == CLOSED else working).add(closure.day)
        return WorkCalendar(closed, working)

    def calendars(self) -> dict[str | None, WorkCalendar]:
        """Every county's calendar that differs from the national one, plus None: national."""
        counties = {c.county for c in self.entries.values() if c.county != NATIONWIDE}
        found = {county: self.calendar_for(county) for county in counties}
        found[None] = self.calendar_for(None)
        return found


class Delivery(Persistent):
    """One (step, month, recipient): recorded in the transaction that queued its mail."""

    manual_resends = ()

    def __init__(self, key, *, status, at, run_id, to="", name="", unit_code="", county_code="",
                 subject="", reason="", by="cron"):
        self.key = key
        self.status = status
        self.at = at
        self.run_id = run_id
        self.to = to
        self.name = name
        self.unit_code = unit_code
        self.county_code = county_code
        self.subject = subject
        self.reason = reason
        self.by = by

    @property
    def step(self) -> str:
        return self.key[0]

    @property
    def month(self) -> str:
        return self.key[1]

    @property
    def recipient(self) -> str:
        return self.key[2]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def add_resend(self, at: dt.datetime, by: str, status: str, to: str) -> None:
        if not isinstance(self.manual_resends, PersistentList):
            self.manual_resends = PersistentList()
        self.manual_resends.append({"at": at, "by": by, "status": status, "to": to})


class Run(Persistent):
    """One run of the reminders (cron, or a by-hand re-send): its counts and its lines."""

    def __init__(self, run_id: str, today: dt.date, started_at: dt.datetime, by: str):
        self.run_id = run_id
        self.today = today
        self.started_at = started_at
        self.finished_at = None
        self.by = by
        self.counts = OOBTree()  # (step, month, status) -> count
        self.lines = OOBTree()  # delivery key -> status

    def note(self, delivery: Delivery) -> None:
        self.lines[delivery.key] = delivery.status
        count_key = (delivery.step, delivery.month, delivery.status)
        self.counts[count_key] = self.counts.get(count_key, 0) + 1

    def summary(self) -> list[dict]:
        """One row per (step, month): recipients and how many of each status."""
        rows = {}
        for (step, month, status), count in self.counts.items():
            row = rows.setdefault((step, month), {"step": step, "month": month, "total": 0,
                                                  **{s: 0 for s in STATUS_LABELS}})
            row[status] += count
            row["total"] += count
        return list(rows.values())


class MailTemplate(Persistent):
    """An admin's text of one mail; the texts it replaced are kept, newest last."""

    def __init__(self, name: str, subject: str, body: str, by: str, at: dt.datetime):
        self.name = name
        self.subject = subject
        self.body = body
        self.by = by
        self.at = at
        self.previous = PersistentList()

    def replace(self, subject: str, body: str, by: str, at: dt.datetime) -> None:
        self.previous.append({"subject": self.subject, "body": self.body, "by": self.by, "at": self.at})
        self.subject, self.body, self.by, self.at = subject, body, by, at


class Reminders(Persistent):
    """``root.reminders``: everything the 稽催 concern stores."""

    def __init__(self):
        self.closures = Closures()
        self.deliveries = OOBTree()  # (step, 'yyyy-mm', recipient) -> Delivery
        self.runs = OOBTree()  # run id (time-ordered) -> Run
        self.templates = OOBTree()  # mail name -> MailTemplate (absent: the file's default)
        self.last_reminded = OOBTree()  # unit code -> (at, step, 'yyyy-mm')

    def record(self, delivery: Delivery, run: Run) -> Delivery:
        self.deliveries[delivery.key] = delivery
        run.note(delivery)
        if delivery.unit_code and delivery.status in (SENT, QUEUED):
            self.last_reminded[delivery.unit_code] = (delivery.at, delivery.step, delivery.month)
        return delivery

    def deliveries_of(self, step: str, month: str):
        """The deliveries of one step and month, in recipient order."""
        return self.deliveries.values(min=(step, month, ""), max=(step, month, "\uffff"))


def reminders_of(root) -> Reminders:
    return root.reminders  # created by the reminders evolve step 1
