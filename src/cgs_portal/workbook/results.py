"""The value objects of a validation: the filing it is for, each problem, the result."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from .levels import family_of_level, grades_of_level

MAX_PROBLEMS = 20_000
MSG_INTERNAL = ('系統無法處理此檔案。請確認檔案是以下載的範本填寫並存成 .xlsx，'
                '若問題持續請聯絡系統客服。')


@dataclass(frozen=True)
class FilingContext:
    """Who files which month: everything the rules need to know about the filing."""
    unit_code: str
    unit_name: str
    level: str
    roc_year: int
    month: int
    academic_year: int
    grades: tuple | None = None
    county_school_codes: frozenset = frozenset()
    max_bytes: int = 10 * 1024 * 1024
    version_id: str | None = None  # the version in force, when the portal's schedule says

    @cached_property
    def allowed_grades(self) -> tuple:
        if self.grades is not None:
            return tuple(self.grades)
        return grades_of_level(self.level)

    @property
    def family(self) -> str:
        return family_of_level(self.level)


@dataclass(kw_only=True)
class Problem:
    """One thing wrong with (or worth a look in) an uploaded workbook."""
    sheet: str
    sheet_key: str | None
    row: int | None
    column: str | None
    header: str | None
    value: str
    message: str
    fix: str
    severity: str = 'error'      # 'error' | 'warning'
    kind: str = 'invalid'        # 'missing' (yellow) | 'invalid' (red) | 'file'
    category: str = ''           # what was checked, for summary['by_category'] (see docs)

    @property
    def cell(self) -> str | None:
        if self.row is None or self.column is None:
            return None
        return f'{self.column}{self.row}'


@dataclass
class ValidationResult:
    fatal: str | None = None
    version: str | None = None
    problems: list = field(default_factory=list)
    rows: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    aggregates: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)   # zh-Hant texts: what was taken from the filing

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p.severity == 'error']

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if p.severity == 'warning']

    @property
    def ok(self) -> bool:
        return self.fatal is None and not any(p.severity == 'error' for p in self.problems)


def fatal_result(message: str, version: str | None = None, sheet: str = '', sheet_key=None,
                 row=None, column=None, header=None, value='') -> ValidationResult:
    """The result of a file that cannot be checked further: one problem, no rows."""
    problem = Problem(sheet=sheet, sheet_key=sheet_key, row=row, column=column, header=header,
                      value=value, message=message, fix='請修正後重新上傳', severity='error',
                      kind='file', category='file')
    return ValidationResult(fatal=message, version=version, problems=[problem],
                            summary={'rows': {}, 'problems': {'error': 1, 'warning': 0,
                                                              'file': 1}})


class Fatal(Exception):
    """Raised by a check when the file cannot be checked further (message in zh-Hant)."""

    def __init__(self, message: str, version: str | None = None, **where):
        super().__init__(message)
        self.message = message
        self.version = version
        self.where = where

    def result(self) -> ValidationResult:
        return fatal_result(self.message, self.version, **self.where)


class ProblemLog:
    """The problems of one validation, counted as they are added (the list is capped)."""

    def __init__(self, result: ValidationResult):
        self.problems = result.problems
        self.counts = Counter()          # (sheet_key, severity, kind) -> n
        self.by_column = defaultdict(Counter)
        self.by_category = Counter()
        self.truncated = False

    def add(self, problem: Problem):
        self.counts[(problem.sheet_key, problem.severity, problem.kind)] += 1
        self.by_category[problem.category or problem.kind] += 1
        if problem.header:
            self.by_column[problem.sheet_key or ''][problem.header] += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.truncated = True
