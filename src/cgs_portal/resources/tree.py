"""The content tree: root → counties → units → academic years → monthly reports.

Resources know their place (``__name__``/``__parent__``) and their ACLs; logic
that belongs to a thing lives on it.
"""
from __future__ import annotations

import datetime as dt

from BTrees.Length import Length
from BTrees.OOBTree import OOBucket
from persistent import Persistent
from persistent.list import PersistentList
from pyramid.authorization import ALL_PERMISSIONS, DENY_ALL, Allow, Authenticated, Everyone

from .. import calendar
from ..admin import extensions
from ..reporting import ledger, rules, workflow
from ..reporting.models import Amendment, Filing
from ..security import Perm, county_principal, role_principal, unit_principal
from ..workbook.levels import LEVEL_BY_NAME, LEVEL_GRADES, LEVELS  # the engine owns the level table
from .folder import Folder


class PortalRoot(Folder):
    """The site: settings, announcements and the top-level folders."""

    title = "高級中等以下學校輔導工作成果填報系統"

    __acl__ = [
        (Allow, Everyone, Perm.SITE_VIEW),
        (Allow, Authenticated, Perm.MEMBER),
        (Allow, role_principal("admin"), ALL_PERMISSIONS),
        (Allow, role_principal("helpdesk"), (Perm.ACCOUNTS_MANAGE, Perm.ACCOUNTS_RESET, Perm.CONSULT_ANSWER)),
        DENY_ALL,
    ]

    def __init__(self):
        super().__init__()
        self.announcements = PersistentList()
        self.schema_version = 0


class Counties(Folder):
    title = "縣市"

    def find_unit(self, code: str | None):
        """The Unit with this code in any county, or None."""
        if not code:
            return None
        for county in self.values():
            unit = county.get(code)
            if unit is not None:
                return unit
        return None


    def move_unit(self, unit, county_code: str):
        """Move ``unit`` with its years and reports into county ``county_code``; its ledger
        entries go with it (``reporting.ledger.move``)."""
        source, target = unit.__parent__, self[county_code]
        if source is target:
            return unit
        source.remove(unit.code)
        unit.county_code = county_code
        target.add(unit.code, unit)
        ledger.move(source, target, unit)
        return unit


class County(Folder):
    """A county or city (縣市), keyed by the Ministry of the Interior code."""

    def __init__(self, code: str, name: str):
        super().__init__()
        self.code = code
        self.name = name
        # Bumped on every filing in the county (conflict-free); counties made before this
        # attribute existed get theirs from the reporting evolve step.
        self.filing_generation = Length()
        # unit code -> count of changes, which units a reader must look at (reporting.ledger;
        # reporting evolve step 4 for older counties)
        self.unit_changes = OOBucket()

    @property
    def title(self):
        return self.name

    @property
    def __acl__(self):
        return [
            (
                Allow,
                county_principal(self.code),
                (Perm.COUNTY_VIEW, Perm.UNIT_STATUS, Perm.REPORT_STATUS, Perm.STATS_COUNTY),
            ),
        ]


class Unit(Folder):
    """A reporting unit: one school at one level, or a county counselling centre.

    Its life is effective-dated: it is expected to file only for the months it
    was open (``opened_on`` … ``closed_on``), so reporting rates never pass 100 %.
    """

    def __init__(
        self,
        code: str,
        name: str,
        level: str,
        county_code: str,
        public: bool = True,
        opened_on: dt.date | None = None,
        closed_on: dt.date | None = None,
        address: str = "",
        phone: str = "",
        url: str = "",
    ):
        super().__init__()
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        self.code = code
        self.name = name
        self.level = level
        self.county_code = county_code
        self.public = public
        self.opened_on = opened_on
        self.closed_on = closed_on
        self.address = address
        self.phone = phone
        self.url = url
        # "yyyy-mm" -> the entry of each report (reporting.ledger; reporting evolve step 3).
        self.ledger = OOBucket()

    @property
    def title(self):
        return self.name

    @property
    def family(self) -> str:
        """Workbook family: 'B' for counselling centres, 'A' for schools."""
        return LEVEL_BY_NAME[self.level].family

    @property
    def grades(self) -> tuple[int, ...]:
        return LEVEL_GRADES[self.level]

    @property
    def category(self) -> str:
        """The account category of the registration page (國小, 國中, 高中職, …)."""
        return LEVEL_BY_NAME[self.level].category

    def is_open_in(self, year: int, month: int) -> bool:
        """True when the unit existed during (any part of) that month."""
        first = dt.date(year, month, 1)
        ny, nm = calendar.next_month(year, month)
        last = dt.date(ny, nm, 1) - dt.timedelta(days=1)
        if self.opened_on and self.opened_on > last:
            return False
        return not (self.closed_on and self.closed_on < first)

    def expected_months(self, ay: int) -> list[tuple[int, int]]:
        """The (year, month) pairs of academic year ``ay`` this unit must file."""
        return [ym for ym in calendar.academic_year_months(ay) if self.is_open_in(*ym)]

    def note_change(self) -> None:
        """Its name, level, dates or contact details changed: readers of the county's ledger
        (the statistics index) look at this unit again (``reporting.ledger.touch``)."""
        county = self.__parent__
        if county is not None and getattr(county, "filing_generation", None) is not None:
            ledger.touch(county, self.code)

    def report(self, year: int, month: int, create: bool = False):
        """The MonthlyReport of (year, month), or None; ``create`` adds it (and its year) first."""
        ay = calendar.academic_year_of_month(year, month)
        folder = self.get(str(ay))
        if folder is None:
            if not create:
                return None
            folder = self.add(str(ay), AcademicYear(ay))
        key = report_key(year, month)
        report = folder.get(key)
        if create:
            if report is None:
                report = folder.add(key, MonthlyReport(year, month, state="open"))
            report.ensure_containers()
        return report

    def filing_deadline(self, year: int, month: int, today: dt.date) -> dt.date:
        """Until when month (year, month) may be filed, as every page and mail says it."""
        report = self.report(year, month)
        if report is None:
            return extensions.deadline(self, self.county_code, year, month)
        return report.filing_deadline(today)

    def month_state(self, year: int, month: int, today: dt.date) -> str:
        """The workflow state of month (year, month) today, whether or not it has a report."""
        report = self.report(year, month)
        if report is None:
            return extended_state(self, year, month, workflow.date_state(year, month, today), today)
        return report.state_on(today)

    @property
    def __acl__(self):
        return [
            (
                Allow,
                unit_principal(self.code),
                (
                    Perm.UNIT_VIEW,
                    Perm.UNIT_STATUS,
                    Perm.REPORT_STATUS,
                    Perm.REPORT_VIEW,
                    Perm.REPORT_FILE,
                    Perm.REPORT_AMEND,
                ),
            ),
        ]


class AcademicYear(Folder):
    """A unit's 學年度 (ROC numbering), holding its monthly reports by ``yyyy-mm``."""

    def __init__(self, year: int):
        super().__init__()
        self.year = year

    @property
    def title(self):
        return f"{self.year}學年度"


class MonthlyReport(Persistent):
    """One unit's report for one month, with its workflow state and history.

    Its transitions are methods (``file``, ``file_no_cases``, ``request_amendment``,
    ``decide_amendment``): each checks ``cgs_portal.reporting.rules``, then fires the
    one table in ``cgs_portal.reporting.workflow``. Date-driven states are derived
    from the clock (``state_on``), never from a stored value alone.
    """

    __name__ = None
    __parent__ = None
    # Defaults for reports created before these attributes existed.
    filing = None  # the current Filing
    amendment = None  # the latest Amendment
    reverted = None  # filings an administrator undid (admin_revert), oldest first
    serial = 0  # bumped by every write a form may race with (double submit, two tabs)
    uploads = None

    def __init__(self, year: int, month: int, state: str = "not_due"):
        self.year = year
        self.month = month
        self.state = state
        self.history = PersistentList()
        self.uploads = PersistentList()
        self.filings = PersistentList()

    @property
    def title(self):
        return calendar.roc_month_label(self.year, self.month)

    def state_on(self, today: dt.date) -> str:
        state = workflow.effective_state(self, self.year, self.month, today)
        return extended_state(unit_of(self), self.year, self.month, state, today)

    def filing_deadline(self, today: dt.date) -> dt.date:
        """Until when this month may be filed: an approved amendment's end while it is open,
        else the filing window's due date (the 10th of the next month, or a deadline extension
        of the workflow desk; later is late)."""
        if self.state_on(today) == workflow.AMENDMENT_OPEN:
            return self.amendment.open_until
        return self._due()

    def _due(self) -> dt.date:
        unit = unit_of(self)
        return extensions.deadline(self, unit.county_code if unit is not None else None,
                                   self.year, self.month)

    def file(self, upload, who: str, now: dt.datetime, today: dt.date) -> Filing:
        """File this month with the rows of ``upload`` (a validated Upload)."""
        return self._file("file", upload, who, now, today)

    def file_no_cases(self, who: str, now: dt.datetime, today: dt.date) -> Filing:
        """File this month as 「當月無個案及服務」."""
        return self._file("file_no_cases", None, who, now, today)

    def _file(self, event, upload, who, now, today) -> Filing:
        unit = unit_of(self)
        workflow.settle(self, today, now)
        rules.check_fileable(unit, self.year, self.month, today)
        late = self.filing is None and today > self._due()
        kind = "cases" if upload is not None else "no_cases"
        filing = Filing(kind, now, who, late, upload=upload, serial=self.serial + 1)
        if self.state_on(today) == workflow.AMENDMENT_OPEN:
            reason = "核准修改後重新填報"
            self.amendment.outcome = "refiled"
        elif late:
            reason = "逾期補填"
        elif today < dt.date(*calendar.next_month(self.year, self.month), 1):
            reason = "提前填報"
        else:
            reason = "當期填報"
        workflow.fire(self, event, now, who, reason, today=today)
        self.filings.append(filing)
        self.filing = filing
        if upload is not None:
            upload.status = "filed"
        for other in self.uploads:
            if other is not upload and other.status == "pending":
                other.status = "superseded"
        self.serial += 1
        self._record()
        return filing

    def request_amendment(self, reason: str, who: str, now: dt.datetime, today: dt.date) -> Amendment:
        """Ask to change this filed month; the request joins the national queue."""
        rules.check_amendable(unit_of(self), self.year, self.month, today)
        workflow.settle(self, today, now)
        reason = (reason or "").strip()
        amendment = Amendment(reason, now, who)
        self.amendment = amendment
        workflow.fire(self, "request_amendment", now, who, reason, today=today)
        self.serial += 1
        rules.queue(self).setdefault(self._queue_key(), self)
        self._record()
        return amendment

    def decide_amendment(self, approve: bool, note: str, who: str, now: dt.datetime,
                         days: int = rules.AMENDMENT_DAYS) -> Amendment:
        """Approve (open the month for ``days`` days) or refuse the pending amendment request."""
        today = now.date()
        if self.state_on(today) != workflow.AMENDMENT_REQUESTED:
            raise rules.Refused(f"{self.title} 的修改申請已處理過或已撤回。", code="decided")
        amendment = self.amendment
        amendment.decided_at = now
        amendment.decided_by = who
        amendment.decision_note = (note or "").strip()
        if approve:
            amendment.decision = "approved"
            amendment.open_until = today + dt.timedelta(days=days)
            workflow.fire(self, "approve_amendment", now, who,
                          f"開放至 {calendar.roc_date(amendment.open_until)}" + (f"；{note}" if note else ""))
        else:
            amendment.decision = "refused"
            workflow.fire(self, "refuse_amendment", now, who, note or "")
        self.serial += 1
        tree = rules.queue(self)
        if self._queue_key() in tree:
            del tree[self._queue_key()]
        self._record()
        return amendment

    # The administrators' events (the workflow desk): each requires a reason, fires its row of
    # the one workflow table (which names the states it may start from) and ends with _record().

    def admin_exempt(self, reason: str, who: str, now: dt.datetime) -> None:
        """「無需填報」: the unit need not file this month (closed or merged that month)."""
        self._admin("admin_exempt", reason, who, now)

    def admin_reopen(self, until: dt.date, reason: str, who: str, now: dt.datetime) -> None:
        """Open a filed month for re-filing until ``until`` (the filing stays valid if not refiled)."""
        if until is None or until < now.date():
            raise rules.Refused("請指定今天或之後的開放截止日期。", code="until")
        self._admin("admin_reopen", reason, who, now,
                    f"開放重新填報至 {calendar.roc_date(until)}", record=False)
        amendment = Amendment(reason.strip(), now, who)
        amendment.decided_at, amendment.decided_by = now, who
        amendment.decision, amendment.decision_note, amendment.open_until = "approved", reason.strip(), until
        self.amendment = amendment
        self._record()

    def admin_record(self, kind: str, reason: str, who: str, now: dt.datetime) -> Filing:
        """Record a paper filing (``kind`` "paper") or a no-cases month on the unit's behalf."""
        event = {"paper": "admin_record_paper", "no_cases": "admin_record_no_cases"}[kind]
        unit = unit_of(self)
        if unit is not None and not unit.is_open_in(self.year, self.month):
            raise rules.Refused(f"本單位於 {self.title} 尚未設立或已停辦，不能登錄填報。", code="closed")
        late = self.filing is None and now.date() > self._due()
        filing = Filing(kind, now, who, late, serial=self.serial + 1)
        if self.state_on(now.date()) == workflow.AMENDMENT_OPEN and self.amendment is not None:
            self.amendment.outcome = "refiled"
        self._admin(event, reason, who, now, record=False)
        self.ensure_containers()
        self.filings.append(filing)
        self.filing = filing
        self._record()
        return filing

    def admin_revert(self, reason: str, who: str, now: dt.datetime) -> None:
        """Undo a mistaken filing or exemption: the month returns to its date-derived state; the
        filing is kept (``reverted``) and the step stays in the history."""
        self._admin("admin_revert", reason, who, now, record=False)
        if self.filing is not None:
            self.reverted = PersistentList(self.reverted or ())
            self.reverted.append(self.filing)
            self.filings.remove(self.filing)
            self.filing = None
        self._record()

    def _admin(self, event, reason, who, now, note="", record=True):
        reason = (reason or "").strip()
        if not reason:
            raise rules.Refused("請說明原因：每一項管理者變更都必須記錄原因。", code="reason")
        today = now.date()
        workflow.settle(self, today, now)
        rules.check_admin_event(self, event, today)
        workflow.fire(self, event, now, who, f"{note}；{reason}" if note else reason, today=today)
        self.serial += 1
        if record:
            self._record()

    def _record(self):
        """Rewrite this report's entry in its county's ledger; every transition method ends
        with this call, in the same transaction (see ``reporting.ledger``)."""
        unit = unit_of(self)
        if unit is not None and unit.__parent__ is not None:
            ledger.note(unit.__parent__, unit, self)

    def _queue_key(self):
        return (self.amendment.requested_at.isoformat(), unit_of(self).code, report_key(self.year, self.month))

    def ensure_containers(self):
        if self.uploads is None:
            self.uploads = PersistentList()
        if getattr(self, "filings", None) is None:
            self.filings = PersistentList()

    def upload(self, number: int):
        for upload in self.uploads or ():
            if upload.number == number:
                return upload
        return None


class TemplateVersions(Folder):
    """/templates: the published workbook versions, read from their one source.

    ``workbook.schema.VERSIONS`` is that source; nothing is copied into the database.
    """

    title = "填報表格版本"

    def _version(self, spec) -> TemplateVersion:
        version = TemplateVersion(spec.id, spec.family, spec.first_academic_year, spec.label)
        version.__name__, version.__parent__ = spec.id, self
        return version

    def __getitem__(self, name):
        from ..workbook.schema import VERSIONS

        return self._version(VERSIONS[name])

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name):
        from ..workbook.schema import VERSIONS

        return name in VERSIONS

    def keys(self, min=None, max=None):  # noqa: A002 - BTree vocabulary
        from ..workbook.schema import VERSIONS

        return [k for k in VERSIONS if (min is None or k >= min) and (max is None or k <= max)]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def values(self, min=None, max=None):  # noqa: A002
        return [self[k] for k in self.keys(min, max)]

    def items(self, min=None, max=None):  # noqa: A002
        return [(k, self[k]) for k in self.keys(min, max)]


class TemplateVersion(Persistent):
    """A published workbook template version (e.g. 111, 113) for a family."""

    __name__ = None
    __parent__ = None

    def __init__(self, version_id: str, family: str, first_academic_year: int, label: str):
        self.version_id = version_id
        self.family = family
        self.first_academic_year = first_academic_year
        self.label = label

    @property
    def title(self):
        return self.label


def extended_state(unit, year: int, month: int, state: str, today: dt.date) -> str:
    """A month past its 10th but inside a deadline extension is 填報中, not 逾期未填."""
    if state == workflow.OVERDUE and unit is not None and extensions.is_extended(
            unit, unit.county_code, year, month, today):
        return workflow.OPEN
    return state


def report_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def unit_of(resource):
    """The Unit a resource lives in, or None."""
    while resource is not None:
        if isinstance(resource, Unit):
            return resource
        resource = resource.__parent__
    return None


def find_root(resource):
    while resource.__parent__ is not None:
        resource = resource.__parent__
    return resource
