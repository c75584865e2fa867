"""The exactly-once run: every (step, month, recipient) due today, each once.

Each delivery is recorded in ``root.reminders.deliveries`` in the same transaction that
queues its mail (the transactional mailer joins the transaction), and batches commit
every ``batch_size`` recipients. So:

- running twice the same day sends nothing twice (recorded keys are skipped);
- a crash between batches loses nothing: the next run starts over and skips what the
  committed batches recorded; the batch that was in progress sent nothing (its mails
  left with its transaction);
- two machines at once: both insert the same keys, the second commit fails with a
  ConflictError, is aborted (its mails with it) and the batch is tried again, skipping.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field

from ZODB.POSException import ConflictError

from .. import calendar
from ..mail import send_mail
from . import mails, plan, steps
from .models import FAILED, QUEUED, SENT, UNREACHABLE, Delivery, Run, reminders_of

log = logging.getLogger(__name__)
BATCH_SIZE = 200
ATTEMPTS = 5


class SimulatedCrash(RuntimeError):
    """Raised by ``fail_after`` (tests): the process dies half-way through a batch."""


@dataclass
class Outcome:
    """What a run did: counts by status, and the dry run's lines."""

    counts: dict = field(default_factory=lambda: {SENT: 0, QUEUED: 0, FAILED: 0, UNREACHABLE: 0})
    skipped: int = 0
    lines: list = field(default_factory=list)
    run_id: str | None = None

    @property
    def done(self) -> int:
        return sum(self.counts.values())


def new_run_id(now: dt.datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def sent_status(request) -> str:
    settings = request.registry.settings
    return QUEUED if settings.get("mail.queue_path") and not settings.get("mail.debug_dir") else SENT


def deliver(request, root, intent, today, now, run, by="cron", text=None) -> Delivery:
    """Mail ``intent`` (or note it 無法通知) and record it, in the current transaction."""
    month = steps.month_key(intent.year, intent.month)
    common = {"at": now, "run_id": run.run_id, "to": intent.to, "name": intent.name, "by": by,
              "unit_code": getattr(intent.unit, "code", "") or "",
              "county_code": getattr(intent.county, "code", "") or getattr(intent.unit, "county_code", "")}
    if not intent.to:
        return Delivery((intent.step, month, intent.recipient), status=UNREACHABLE, reason=intent.reason,
                        **common)
    try:
        subject, body, attachments = mails.compose(request, root, intent, today, text)
        send_mail(request, intent.to, subject, body, attachments)
    except (ValueError, KeyError, OSError) as error:  # a message that cannot be built
        log.exception("reminder %s to %s could not be sent", intent.key, intent.to)
        return Delivery((intent.step, month, intent.recipient), status=FAILED, reason=str(error)[:200],
                        **common)
    return Delivery((intent.step, month, intent.recipient), status=sent_status(request), subject=subject,
                    **common)


class Runner:
    """One run on ``today`` (a cron day, or ``--date``); ``request`` carries settings and mailer."""

    def __init__(self, request, root, tm, today: dt.date, *, by="cron", batch_size=BATCH_SIZE,
                 dry_run=False, fail_after=None, on_commit=None):
        self.request, self.root, self.tm, self.today = request, root, tm, today
        self.by, self.batch_size, self.dry_run = by, batch_size, dry_run
        self.fail_after = fail_after
        self.on_commit = on_commit  # tests: called after each batch commit
        self.outcome = Outcome()
        self.run = None
        self._pending_counts: list[str] = []  # statuses of the batch not yet committed
        self._run_committed = False

    def now(self) -> dt.datetime:
        return self.request.clock.now()

    def perform(self) -> Outcome:
        for attempt in range(ATTEMPTS):
            try:
                self._pass()
                return self.outcome
            except ConflictError:
                log.warning("reminders: conflict (another run?), batch retried (%d)", attempt + 1)
                self.tm.abort()
                self.tm.begin()
                self._pending_counts = []
                if not self._run_committed:  # the Run was created in the lost batch
                    self.run = None
        raise RuntimeError("reminders: the run kept conflicting; run it again")

    def _pass(self) -> None:
        ledger = reminders_of(self.root)
        pending = 0
        self.outcome.skipped = 0
        for intent in plan.intents(self.root, self.today):
            if intent.key in ledger.deliveries:
                self.outcome.skipped += 1
                continue
            if self.dry_run:
                self.outcome.lines.append(dry_line(intent))
                continue
            if self.fail_after is not None and self.outcome.done + pending >= self.fail_after:
                raise SimulatedCrash(f"crash after {self.fail_after} recipients")
            delivery = deliver(self.request, self.root, intent, self.today, self.now(), self._run(), self.by)
            ledger.record(delivery, self._run())
            pending += 1
            self._pending_counts.append(delivery.status)
            if pending >= self.batch_size:
                self._commit()
                pending = 0
        if not self.dry_run:
            if self.run is not None:
                self.run.finished_at = self.now()
            self._commit()

    def _run(self) -> Run:
        if self.run is None:
            now = self.now()
            run_id = new_run_id(now)
            self.run = Run(run_id, self.today, now, self.by)
            reminders_of(self.root).runs[run_id] = self.run
            self.outcome.run_id = run_id
        return self.run

    def _commit(self) -> None:
        if self.tm.isDoomed():
            raise RuntimeError("transaction doomed")
        self.tm.get().note(f"cgs-remind {self.today.isoformat()}")
        self.tm.commit()
        self._run_committed = self.run is not None
        for status in self._pending_counts:
            self.outcome.counts[status] += 1
        self._pending_counts = []
        self.tm.begin()
        self.root._p_jar.cacheGC()
        if self.on_commit is not None:
            self.on_commit(self)


def dry_line(intent) -> str:
    label = steps.STEP_LABELS[intent.step]
    month = calendar.roc_month_label(intent.year, intent.month)
    who = intent.to or f"無法通知（{intent.reason}）"
    return f"{label}\t{month}\t{intent.recipient}\t{intent.name}\t{who}"


def resend(request, root, step: str, year: int, month: int, unit, by: str) -> Delivery:
    """An admin's by-hand re-send of one step to one unit (recorded with who, in the ledger)."""
    intent = plan.unit_intent(step, f"unit_{step}", unit, root["accounts"], year, month)
    now, today = request.clock.now(), request.clock.today()
    run = Run(new_run_id(now), today, now, by)
    reminders_of(root).runs[run.run_id] = run
    delivery = deliver(request, root, intent, today, now, run, by=by)
    existing = reminders_of(root).deliveries.get(delivery.key)
    if existing is None:
        reminders_of(root).record(delivery, run)
        existing = delivery
    else:
        run.note(delivery)
        if delivery.status in (SENT, QUEUED):
            reminders_of(root).last_reminded[unit.code] = (now, step, delivery.month)
    existing.add_resend(now, by, delivery.status, delivery.to)
    run.finished_at = now
    return delivery
