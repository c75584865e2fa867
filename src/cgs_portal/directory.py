"""The MOE open school directory: parsing its CSV and applying it to the tree.

No web code: ``plan_import`` compares the rows with the units in the tree and
returns a change list; ``apply_import`` applies it. Units are never deleted;
a unit missing from the file is only reported, unless the caller asks to
close it (``close_missing``), and closing is effective-dated.

The Ministry publishes one directory file per school level, so the level is the
file's: given by the caller, or named in the file name or a heading line above
the column titles. The 4th character of a code is only a consistency check: in
counties with more than 100 primary schools the serial runs on into that digit
(``014701`` is a 國小). A file that names no level (the mixed demo directory) is
read by code digit, and refused as a whole if any code's digit names no level,
so no school is ever dropped silently.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field

from .counties import AREA_TO_COUNTY, COUNTIES, county_code_by_name
from .resources import Unit
from .workbook.levels import CENTRE, DIGIT_OF_LEVEL, LEVEL_BY_DIGIT, LEVEL_WORDS

CODE_RE = re.compile(r"^[0-9]{2}[0-9A-Z]{4}$")
BRACKET_RE = re.compile(r"^\s*\[(\w+)\]\s*(.*)$")

COLUMN_ALIASES = {
    "學年度": "year",
    "代碼": "code",
    "學校代碼": "code",
    "學校名稱": "name",
    "公/私立": "owner",
    "公私立": "owner",
    "縣市名稱": "county",
    "地址": "address",
    "電話": "phone",
    "網址": "url",
    "備註": "note",
}


#: At most this many missing units are listed one per line in the printed report.
MISSING_INLINE = 10


def level_named_in(text: str) -> str | None:
    """The one school level that ``text`` (a file name or heading) names, or None."""
    found = set()
    rest = text or ""
    for word, level in LEVEL_WORDS:
        if word in rest:
            found.add(level)
            rest = rest.replace(word, " ")
    return found.pop() if len(found) == 1 else None


class DirectoryError(ValueError):
    """The file cannot be read as the MOE directory (message in zh-Hant)."""


@dataclass
class DirectoryRow:
    line: int
    code: str
    name: str
    level: str
    county_code: str
    public: bool
    address: str = ""
    phone: str = ""
    url: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    added: list[DirectoryRow] = field(default_factory=list)
    renamed: list[tuple[Unit, DirectoryRow]] = field(default_factory=list)
    moved: list[tuple[Unit, DirectoryRow]] = field(default_factory=list)
    updated: list[tuple[Unit, DirectoryRow]] = field(default_factory=list)
    reopened: list[tuple[Unit, DirectoryRow]] = field(default_factory=list)
    missing: list[Unit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(
            len(x) for x in (self.added, self.renamed, self.moved, self.updated, self.reopened)
        )

    def missing_by_county(self) -> Counter:
        """How many missing units each county has (by county name)."""
        return Counter(COUNTIES.get(u.county_code, u.county_code) for u in self.missing)

    def missing_list(self) -> str:
        """Every missing unit, one ``code<TAB>name<TAB>county`` line each."""
        return "".join(
            f"{u.code}\t{u.name}\t{COUNTIES.get(u.county_code, u.county_code)}\n" for u in self.missing
        )

    def report(self, close_missing: bool = False) -> str:
        lines = []
        for row in self.added:
            lines.append(f"added    {row.code} {row.name} ({row.level}, {COUNTIES[row.county_code]})")
        for unit, row in self.renamed:
            lines.append(f"renamed  {unit.code} {unit.name} -> {row.name}")
        for unit, row in self.moved:
            lines.append(
                f"moved    {unit.code} {COUNTIES.get(unit.county_code)} -> {COUNTIES[row.county_code]}"
            )
        for unit, _row in self.reopened:
            lines.append(f"reopened {unit.code} {unit.name}")
        action = "closed  " if close_missing else "missing "
        if len(self.missing) <= MISSING_INLINE:
            for unit in self.missing:
                lines.append(f"{action} {unit.code} {unit.name}")
        for county, count in sorted(self.missing_by_county().items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"{action} {county} {count}")
        for warning in self.warnings:
            lines.append(f"warning  {warning}")
        lines.append(
            f"summary  added={len(self.added)} renamed={len(self.renamed)} moved={len(self.moved)}"
            f" updated={len(self.updated)} reopened={len(self.reopened)}"
            f" missing={len(self.missing)} warnings={len(self.warnings)}"
        )
        return "\n".join(lines)


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp950"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DirectoryError("檔案編碼無法辨識，請使用 UTF-8 編碼的 CSV 檔。")


def _columns(header) -> dict:
    columns = {}
    for index, title in enumerate(header):
        key = COLUMN_ALIASES.get(title.strip().strip('"').lstrip("\ufeff"))
        if key:
            columns[key] = index
    return columns


def parse_directory(
    data: bytes, level: str | None = None, *, source_name: str = ""
) -> tuple[list[DirectoryRow], list[str]]:
    """Rows of the MOE directory CSV (with or without BOM, 學年度 and 備註 optional).

    The level is ``level``, else the one named by a heading line above the column
    titles, else the one named by ``source_name`` (the file name); with none, each
    row's level comes from its code (a mixed file, such as the demo directory).
    """
    text = decode(data)
    reader = csv.reader(io.StringIO(text))
    first = list(itertools.islice(reader, 3))  # a title line or two may come first
    if not first:
        raise DirectoryError("檔案是空的。")
    found = next((i for i, line in enumerate(first) if "code" in _columns(line)), None)
    if found is None:
        columns, headings = _columns(first[0]), []
    else:
        columns, headings = _columns(first[found]), [" ".join(line) for line in first[:found]]
        reader = itertools.chain(first[found + 1:], reader)
    level = level or level_named_in(" ".join(headings)) or level_named_in(source_name)
    for required in ("code", "name", "owner", "county"):
        if required not in columns:
            names = {"code": "代碼", "name": "學校名稱", "owner": "公/私立", "county": "縣市名稱"}
            raise DirectoryError(f"找不到「{names[required]}」欄位，請確認檔案為教育部學校名錄格式。")
    rows, warnings = [], []
    unnamed_digits, other_level = Counter(), Counter()
    for line, values in enumerate(reader, start=2 + len(headings)):
        if not any(v.strip() for v in values):
            continue

        def get(key, values=values):
            index = columns.get(key)
            return values[index].strip() if index is not None and index < len(values) else ""

        code = get("code").upper()
        if not CODE_RE.match(code):
            warnings.append(f"line {line}: unit code {code!r} is not a 6-character MOE code; skipped")
            continue
        row_level = level or _level_of(code)
        if row_level is None or (level and _level_of(code) is None):
            unnamed_digits[code[3]] += 1
        if row_level is None:
            continue
        county_code = AREA_TO_COUNTY.get(code[:2])
        row_warnings = []
        match = BRACKET_RE.match(get("county"))
        named = county_code_by_name(match.group(2) if match else get("county"))
        if county_code is None:
            county_code = named
        if county_code is None:
            warnings.append(f"line {line}: unknown area prefix of {code}; skipped")
            continue
        if match and match.group(1) != code[:2]:
            row_warnings.append(f"line {line}: {code} bracket [{match.group(1)}] differs from its code")
        if named and named != county_code:
            row_warnings.append(
                f"line {line}: {code} listed under {get('county')} but its code says {COUNTIES[county_code]}"
            )
        unit_code = code
        if level and code[3] != "C" and LEVEL_BY_DIGIT.get(code[3]) not in (level, None) and level in DIGIT_OF_LEVEL:
            # a 完全中學 / 國中小 section at another level: one unit per level (一學制一帳號)
            unit_code = code + DIGIT_OF_LEVEL[level]
            other_level[LEVEL_BY_DIGIT[code[3]]] += 1
        rows.append(
            DirectoryRow(
                line=line,
                code=unit_code,
                name=get("name"),
                level=row_level,
                county_code=county_code,
                public=get("owner") != "私立",
                address=get("address"),
                phone=get("phone"),
                url=get("url"),
                warnings=row_warnings,
            )
        )
        warnings.extend(row_warnings)
    digits = "、".join(sorted(unnamed_digits))
    if unnamed_digits and not level:
        raise DirectoryError(
            f"有 {sum(unnamed_digits.values())} 筆代碼的第 4 碼（{digits}）無法判斷學制，"
            "檔名或標題也未標明學制；請以 --level 指定此名錄的學制（例：--level 國小）。"
        )
    if unnamed_digits:
        warnings.append(
            f"{sum(unnamed_digits.values())} code(s) have a 4th character ({digits}) that names no"
            f" level; taken as {level}, the level of this directory file"
        )
    for other, count in sorted(other_level.items()):
        warnings.append(
            f"{count} code(s) name the level {other}; each is the {level} section of that school,"
            f" imported as its own unit (code + {DIGIT_OF_LEVEL[level]})"
        )
    return rows, warnings


def _level_of(code: str) -> str | None:
    if code[2] == "C" or code[3] == "C":
        return CENTRE
    return LEVEL_BY_DIGIT.get(code[3])


def all_units(counties):
    for county in counties.values():
        yield from county.values()


def plan_import(counties, rows: list[DirectoryRow], warnings=()) -> ImportPlan:
    plan = ImportPlan(warnings=list(warnings))
    existing = {unit.code: unit for unit in all_units(counties)}
    seen = set()
    for row in rows:
        if row.code in seen:
            plan.warnings.append(f"line {row.line}: duplicate code {row.code}; later row ignored")
            continue
        seen.add(row.code)
        unit = existing.get(row.code)
        if unit is None:
            plan.added.append(row)
            continue
        if unit.county_code != row.county_code:
            plan.moved.append((unit, row))
        if unit.name != row.name:
            plan.renamed.append((unit, row))
        elif (unit.address, unit.phone, unit.url, unit.public) != (row.address, row.phone, row.url, row.public):
            plan.updated.append((unit, row))
        if unit.closed_on is not None:
            plan.reopened.append((unit, row))
    plan.missing = [u for code, u in sorted(existing.items()) if code not in seen and u.closed_on is None]
    return plan


def apply_import(counties, plan: ImportPlan, today: dt.date, *, opened_on=None, close_missing=False):
    """Apply a plan to the tree (the caller commits once, so it is all or nothing)."""
    for row in plan.added:
        counties[row.county_code].add(
            row.code,
            Unit(
                row.code,
                row.name,
                row.level,
                row.county_code,
                public=row.public,
                opened_on=opened_on or today,
                address=row.address,
                phone=row.phone,
                url=row.url,
            ),
        )
    for unit, row in plan.moved:
        # Move the unit with everything in it (reports, years, ledger entries).
        counties.move_unit(unit, row.county_code)
    for unit, row in plan.renamed + plan.updated:
        unit.name = row.name
        unit.address, unit.phone, unit.url, unit.public = row.address, row.phone, row.url, row.public
        unit.note_change()
    for unit, _row in plan.reopened:
        unit.closed_on = None
        unit.note_change()
    if close_missing:
        for unit in plan.missing:
            unit.closed_on = today
            unit.note_change()
