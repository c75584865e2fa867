"""Which template version is in force from which semester: the administrators' schedule.

The code's default is ``workbook.schema``: each version is in force from semester 1 of its
``first_academic_year``. An administrator may set another first semester for a version
(adopt it later, or from the second semester); a version can never be set in force before
the year it was published. For a month, the version of the unit's family with the latest
first semester on or before the month's semester is in force (the oldest one before any).
No web code, no ZODB beyond the one persistent mapping.
"""
from __future__ import annotations

from persistent import Persistent
from persistent.mapping import PersistentMapping

from .. import calendar
from ..workbook.schema import VERSIONS, version_in_force


class ScheduleError(ValueError):
    """A start the schedule refuses (message in zh-Hant)."""


class TemplateSchedule(Persistent):
    """version id -> (academic year, term) from which the version is in force."""

    def __init__(self):
        self.starts = PersistentMapping()

    def start_of(self, version_id: str) -> tuple[int, int]:
        """The first semester of a version: the administrators' setting, else the code's."""
        start = self.starts.get(version_id)
        return tuple(start) if start else (VERSIONS[version_id].first_academic_year, 1)

    def is_overridden(self, version_id: str) -> bool:
        return version_id in self.starts

    def set_start(self, version_id: str, academic_year: int, term: int) -> tuple:
        """Set the first semester of ``version_id``; returns the start it had before."""
        version = VERSIONS.get(version_id)
        if version is None:
            raise ScheduleError("沒有這個範本版本。")
        if term not in (1, 2):
            raise ScheduleError("學期只能是上學期（1）或下學期（2）。")
        if academic_year < version.first_academic_year:
            raise ScheduleError(
                f"「{version.label}」範本於 {version.first_academic_year} 學年度才公布，"
                f"不可設定自 {academic_year} 學年度起適用。")
        if academic_year > version.first_academic_year + 20:
            raise ScheduleError("學年度超出可設定的範圍。")
        before = self.start_of(version_id)
        self.starts[version_id] = (academic_year, term)
        return before

    def reset(self, version_id: str) -> tuple:
        """Back to the code's default; returns the start it had before."""
        before = self.start_of(version_id)
        self.starts.pop(version_id, None)
        return before

    def version_for(self, family: str, year: int, month: int):
        """The TemplateSpec of ``family`` in force in (year, month)."""
        semester = calendar.semester_of(year, month)
        found, found_start = None, None
        for version in VERSIONS.values():
            if version.family != family:
                continue
            start = self.start_of(version.id)
            if start <= semester and (found is None or start > found_start):
                found, found_start = version, start
        if found is None:
            return version_in_force(family, semester[0])  # before every version: the oldest
        return found

    def rows(self) -> list[dict]:
        """Every version with its first semester, for the back office page."""
        return [{"id": v.id, "label": v.label, "family": v.family, "published": v.first_academic_year,
                 "start": self.start_of(v.id), "overridden": self.is_overridden(v.id),
                 "start_label": calendar.semester_label(*self.start_of(v.id))}
                for v in VERSIONS.values()]


def version_for(store, family: str, year: int, month: int):
    """The version in force for a month: the schedule of ``store`` (a ContentStore or None)."""
    schedule = getattr(store, "schedule", None)
    if schedule is None:
        return version_in_force(family, calendar.academic_year_of_month(year, month))
    return schedule.version_for(family, year, month)
