"""合併檔案: the counselling teachers' workbooks of one unit and month merged into one.

Pure library code. Every source has been checked by ``validate_workbook`` against the same
``FilingContext`` (so a file of another unit, month or version was already refused with the
engine's own message); what arrives here are the row dicts of the files that passed. The
merged workbook is the unit's template of the version with every 表A-1 and 表A-2 row, sorted
by 教師編碼 (a teacher's rows keep their files' order).

Between files:
- the same 學生代號 under the same teacher (B: and school) with different values is a
  **conflict**: both rows are kept and marked red in the merged copy (the check would refuse
  the duplicate anyway, so the unit decides which one is right);
- the same row twice, value for value (a file sent twice, a shared row) is kept once;
- the same student under two teachers is allowed and noted;
- the same service (教師, 服務項目, 其他說明, 對象, same 身分) in two files is summed into one
  row (男, 女, 場次), as the check sums a file's own repeated services.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from .annotate import annotate_workbook
from .carry import write_rows
from .schema import VERSIONS

MIN_FILES = 2
MAX_FILES = 20


@dataclass
class Source:
    """One checked file: its name, its version and its row dicts."""

    name: str
    version_id: str
    rows: dict


@dataclass
class Taken:
    name: str
    cases: int = 0
    services: int = 0
    identical: int = 0   # case rows equal to a row of an earlier file, kept once
    summed: int = 0      # service rows added to the same service of an earlier file


@dataclass
class Conflict:
    key: tuple             # the sheet's unique key: (teacher, student) or (school, teacher, student)
    first: str             # file names
    second: str
    fields: tuple          # headers of the fields that differ
    rows: tuple = ()       # their Excel rows in the merged copy


@dataclass
class MergeResult:
    version_id: str
    data: bytes
    taken: list
    conflicts: list = field(default_factory=list)
    shared_students: list = field(default_factory=list)   # (student key, teacher codes)
    cases: int = 0
    services: int = 0
    summed: list = field(default_factory=list)           # (merged service row, file names)

    @property
    def clean(self) -> bool:
        """No conflict: the merged copy can go straight to the filing."""
        return not self.conflicts


class MergeRefused(ValueError):
    """The sources cannot be merged (count, or versions that differ)."""


def _body(row: dict) -> tuple:
    return tuple(sorted((k, v) for k, v in row.items() if not k.startswith("_")))


def merge_sources(sources: list, *, unit_code: str = "", unit_name: str = "", roc_year=None,
                  month=None) -> MergeResult:
    """Merge the checked ``sources`` (2–20, one version) into the unit's template."""
    if not MIN_FILES <= len(sources) <= MAX_FILES:
        raise MergeRefused(f"請上傳 {MIN_FILES}–{MAX_FILES} 個檔案（收到 {len(sources)} 個）。")
    versions = {s.version_id for s in sources}
    if len(versions) != 1:
        raise MergeRefused("檔案的範本版本不同：" + "、".join(sorted(versions)) + "，請都使用本學年度的範本。")
    version_id = versions.pop()
    version = VERSIONS[version_id]
    cases_spec, services_spec = version.sheet("cases"), version.sheet("services")
    unique = cases_spec.unique
    headers = {c.key: c.header for c in cases_spec.columns}
    seen: dict = {}           # key -> (source name, row, body)
    services_seen: dict = {}  # services key -> (merged row, file names)
    summed: list = []
    cases, services, taken, conflicts, pairs = [], [], [], [], []
    for order, source in enumerate(sources):
        got = Taken(source.name)
        for row in source.rows.get("cases", ()):
            key = tuple(row.get(f) for f in unique)
            body = _body(row)
            earlier = seen.get(key)
            if earlier is not None and earlier[2] == body:
                got.identical += 1
                continue
            entry = dict(row, _file=order, _name=source.name)
            if earlier is not None:
                differ = tuple(headers[k] for k, v in body if dict(earlier[2]).get(k) != v)
                conflicts.append(Conflict(key, earlier[0], source.name, differ))
                pairs.append((earlier[1], entry))
            else:
                seen[key] = (source.name, entry, body)
            cases.append(entry)
            got.cases += 1
        for row in source.rows.get("services", ()):
            if add_service(services_seen, services_spec, row, source.name, order, summed):
                got.summed += 1
            else:
                services.append(services_seen[_service_key(services_spec, row)][0])
            got.services += 1
        taken.append(got)
    cases.sort(key=lambda r: (str(r.get("teacher_code")), r["_file"], r.get("_row") or 0))
    services.sort(key=lambda r: (str(r.get("teacher_code")), r["_file"], r.get("_row") or 0))
    data = write_rows(version_id, {"cases": cases, "services": services}, unit_code=unit_code,
                      unit_name=unit_name, roc_year=roc_year, month=month)
    if conflicts:
        position = {id(r): cases_spec.first_data_row + i for i, r in enumerate(cases)}
        for conflict, (a, b) in zip(conflicts, pairs, strict=True):
            conflict.rows = (position[id(a)], position[id(b)])
        data = annotate_workbook(data, conflict_marks(cases_spec, conflicts, headers))
    return MergeResult(version_id, data, taken, conflicts, shared_students(cases, unique),
                       cases=len(cases), services=len(services), summed=summed)


def _service_key(spec, row) -> tuple:
    return tuple(row.get(f) for f in spec.unique) + tuple(row.get(f) for f in spec.same)


def add_service(seen: dict, spec, row: dict, name: str, order: int, summed: list) -> bool:
    """Sum a 表A-2 row into an earlier file's row of the same service (as the check itself sums
    a file's own rows, so the merged copy gets no warning for it); True when it was summed.
    Rows that differ in 身分 stay apart (the check reports them)."""
    key = _service_key(spec, row)
    earlier = seen.get(key)
    if earlier is None:
        seen[key] = (dict(row, _name=name, _file=order), [name])
        return False
    merged, names = earlier
    for f in spec.summed:
        if f in merged and isinstance(row.get(f), int) and isinstance(merged.get(f), int):
            merged[f] += row[f]
    if len(names) == 1:
        summed.append((merged, names))
    names.append(name)
    return True


def conflict_marks(spec, conflicts, headers) -> list:
    """Red cells (with a comment) on both rows of every conflict: the key and what differs."""
    letters = {c.key: spec.letters[j] for j, c in enumerate(spec.columns)}
    by_header = {h: k for k, h in headers.items()}
    marks = []
    for c in conflicts:
        keys = ("student_code",) + tuple(by_header[h] for h in c.fields)
        for row, other, mine_file, other_file in ((c.rows[0], c.rows[1], c.first, c.second),
                                                  (c.rows[1], c.rows[0], c.second, c.first)):
            message = (f"與第 {other} 列（{other_file}）為同一教師的同一學生，但內容不同："
                       + "、".join(c.fields))
            fix = f"本列來自 {mine_file}；請確認正確資料後刪除其中一列"
            for key in dict.fromkeys(keys):
                marks.append(SimpleNamespace(
                    sheet=spec.title, sheet_key=spec.key, row=row, column=letters[key],
                    header=headers[key], value="", message=message, fix=fix, severity="error",
                    kind="invalid", category="duplicate"))
    return marks


def shared_students(cases, unique) -> list:
    """Students (by 學生代號, with the school in family B) seen under more than one teacher."""
    student_fields = tuple(f for f in unique if f != "teacher_code")
    teachers: dict = {}
    for row in cases:
        key = tuple(row.get(f) for f in student_fields)
        teachers.setdefault(key, set()).add(str(row.get("teacher_code")))
    return [("/".join(str(k) for k in key), tuple(sorted(ts))) for key, ts in teachers.items() if len(ts) > 1]
