"""The content tree: root → counties → units → academic years → monthly reports.

Resources know their place (``__name__``/``__parent__``) and their ACLs; logic
that belongs to a thing lives on it.
"""
from __future__ import annotations

import datetime as dt

from persistent import Persistent
from persistent.list import PersistentList
from pyramid.authorization import ALL_PERMISSIONS, DENY_ALL, Allow, Authenticated, Everyone

from .. import calendar
from ..security import Perm, county_principal, role_principal, unit_principal
from ..workbook.codes import LEVEL_GRADES, LEVELS  # the engine owns levels and their grades
from .folder import Folder


class PortalRoot(Folder):
    """The site: settings, announcements and the top-level folders."""

    title = "高級中等以下學校輔導工作成果填報系統"

    __acl__ = [
        (Allow, Everyone, Perm.SITE_VIEW),
        (Allow, Authenticated, Perm.MEMBER),
        (Allow, role_principal("admin"), ALL_PERMISSIONS),
        (Allow, role_principal("helpdesk"), (Perm.ACCOUNTS_MANAGE, Perm.ACCOUNTS_RESET)),
        DENY_ALL,
    ]

    def __init__(self):
        super().__init__()
        self.announcements = PersistentList()
        self.schema_version = 0


class Counties(Folder):
    title = "縣市"


class County(Folder):
    """A county or city (縣市), keyed by the Ministry of the Interior code."""

    def __init__(self, code: str, name: str):
        super().__init__()
        self.code = code
        self.name = name

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

    @property
    def title(self):
        return self.name

    @property
    def family(self) -> str:
        """Workbook family: 'B' for counselling centres, 'A' for schools."""
        return "B" if self.level == "輔諮中心" else "A"

    @property
    def grades(self) -> tuple[int, ...]:
        return LEVEL_GRADES[self.level]

    @property
    def category(self) -> str:
        """The account category of the registration page (國小, 國中, 高中職, …)."""
        return "高中職" if self.level in ("高中", "高職") else self.level

    def is_open_in(self, year: int, month: int) -> bool:
        """True when the unit existed during (any part of) that month."""
        first = dt.date(year, month, 1)
        ny, nm = calendar.next_month(year, month)
        last = dt.date(ny, nm, 1) - dt.timedelta(days=1)
        if self.opened_on and self.opened_on > last:
            return False
        return not (self.closed_on and self.closed_on < first)

    def expected_months(self, ay: int) -> list[tuple[int, int]]:
        return [ym for ym in calendar.academic_year_months(ay) if self.is_open_in(*ym)]

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

    def report(self, year: int, month: int):
        return self.get(report_key(year, month))


class MonthlyReport(Persistent):
    """One unit's report for one month, with its workflow state and history.

    The workflow table lives in ``cgs_portal.reporting.workflow``; the filing
    service in ``cgs_portal.reporting.service``. Date-driven states are derived
    from the clock (``state_on``), never from a stored value alone.
    """

    __name__ = None
    __parent__ = None
    # Defaults for reports created before these attributes existed.
    filing = None  # the current Filing
    amendment = None  # the latest Amendment
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
        from ..reporting import workflow

        return workflow.effective_state(self, self.year, self.month, today)

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
