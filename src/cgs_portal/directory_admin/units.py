"""The directory back office's rules, acting on the tree: search, add, edit, move, close, reopen,
and the Ministry CSV import held for confirmation. No web code.

Every change is dated in the directory log (``root.directory_log``: (unit code, time key) →
``DirectoryChange``), which the unit's page lists; the views also audit it. A move between
counties takes the unit with its years and reports into the other County folder and bumps
both counties' filing generation, so their cached roll-ups are recomputed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from ..counties import COUNTIES
from ..directory import DirectoryError, apply_import, parse_directory, plan_import
from ..resources import Unit
from ..statistics.rollups import generation
from ..workbook.levels import LEVELS

MAX_RESULTS = 100
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_LIFETIME = dt.timedelta(hours=2)
FIELDS = {"name": "名稱", "level": "學制", "county_code": "縣市", "public": "公私立", "address": "地址",
          "phone": "電話", "url": "網址"}


class DirectoryRefused(ValueError):
    """A change the directory refuses (message in zh-Hant)."""


class DirectoryChange(Persistent):
    def __init__(self, when: dt.datetime, who: str, event: str, detail: str):
        self.when, self.who, self.event, self.detail = when, who, event, detail


def log(root) -> OOBTree:
    return root.directory_log  # created by the directory evolve step


def note(root, unit_code: str, when: dt.datetime, who: str, event: str, detail: str) -> DirectoryChange:
    tree = log(root)
    key = (unit_code, int(when.timestamp() * 1_000_000))
    while key in tree:  # the same microsecond (a fixed test clock): the later change sorts later
        key = (unit_code, key[1] + 1)
    change = tree[key] = DirectoryChange(when, who, event, detail[:500])
    return change


def history(root, unit_code: str) -> list[DirectoryChange]:
    tree = getattr(root, "directory_log", None)
    if tree is None:
        return []
    return list(reversed(list(tree.values(min=(unit_code,), max=(unit_code + "\x00",)))))


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower().replace("臺", "台")


def search(counties, q: str = "", county: str | None = None, level: str | None = None,
           limit: int = MAX_RESULTS) -> tuple[list[Unit], int]:
    """Units whose code or name contains ``q`` (臺/台 alike), in ``county`` and of ``level``."""
    key = _normal(q)
    folders = [counties[county]] if county in counties else list(counties.values())
    found = []
    for folder in folders:
        for unit in folder.values():
            if level and unit.level != level:
                continue
            if key and key not in _normal(unit.name) and key not in unit.code.lower():
                continue
            found.append(unit)
    found.sort(key=lambda u: u.code)
    return found[:limit], len(found)


def describe(unit: Unit) -> dict:
    return {key: getattr(unit, key) for key in FIELDS}


def _shown(key, value) -> str:
    if key == "county_code":
        return COUNTIES.get(value, value)
    if key == "public":
        return "公立" if value else "私立"
    return str(value or "（空白）")


def add(counties, data: dict, today: dt.date) -> Unit:
    code = data["code"]
    if counties.find_unit(code) is not None:
        raise DirectoryRefused(f"單位代碼 {code} 已存在。")
    if data["county_code"] not in counties or data["level"] not in LEVELS:
        raise DirectoryRefused("請選擇縣市與學制。")
    unit = Unit(code, data["name"], data["level"], data["county_code"], public=data["public"],
                opened_on=data.get("opened_on") or today, address=data.get("address", ""),
                phone=data.get("phone", ""), url=data.get("url", ""))
    counties[data["county_code"]].add(code, unit)
    generation(counties[data["county_code"]]).change(1)
    return unit


def move(counties, unit: Unit, county_code: str) -> None:
    """Move ``unit`` (with its years and reports) into another county's folder."""
    if county_code not in counties:
        raise DirectoryRefused("沒有這個縣市。")
    source = unit.__parent__
    if source is not None and source.code == county_code:
        return
    counties.move_unit(unit, county_code)  # reports and ledger entries go with it


def edit(counties, unit: Unit, data: dict) -> list[str]:
    """Apply the form's values; returns one 「欄位：前 → 後」 line per field that changed."""
    if data["level"] not in LEVELS:
        raise DirectoryRefused("請選擇學制。")
    changes = []
    for key, label in FIELDS.items():
        before, after = getattr(unit, key), data[key]
        if before != after:
            changes.append(f"{label}：{_shown(key, before)} → {_shown(key, after)}")
    if data["county_code"] != unit.county_code:
        move(counties, unit, data["county_code"])
    for key in ("name", "level", "public", "address", "phone", "url"):
        setattr(unit, key, data[key])
    if changes:
        unit.note_change()
    return changes


def close(unit: Unit, closed_on: dt.date) -> None:
    """Close the unit from ``closed_on``: no month after the one it closed in is expected."""
    if unit.opened_on and closed_on < unit.opened_on:
        raise DirectoryRefused(f"裁撤日期不可早於設立日期（{unit.opened_on.isoformat()}）。")
    unit.closed_on = closed_on
    unit.note_change()


def reopen(unit: Unit) -> dt.date:
    if unit.closed_on is None:
        raise DirectoryRefused("此單位並未裁撤。")
    closed_on, unit.closed_on = unit.closed_on, None
    unit.note_change()
    return closed_on


# -- the Ministry CSV, previewed then confirmed -----------------------------------------------
class PendingImport(Persistent):
    """An uploaded directory file waiting for its confirmation (nothing applied yet)."""

    def __init__(self, data: bytes, filename: str, level: str | None, who: str, at: dt.datetime,
                 fingerprint: str):
        self.data, self.filename, self.level = data, filename, level
        self.who, self.at, self.fingerprint = who, at, fingerprint


def imports(root) -> OOBTree:
    return root.directory_imports  # created by the directory evolve step


def _plan(counties, data: bytes, level, filename):
    rows, warnings = parse_directory(data, level=level, source_name=filename)
    return plan_import(counties, rows, warnings)


def fingerprint(report: str) -> str:
    return hashlib.sha256(report.encode()).hexdigest()


def preview(root, data: bytes, filename: str, level: str | None, who: str, at: dt.datetime):
    """(token, plan, report) of an uploaded file; the file is kept for the confirmation only."""
    if len(data) > IMPORT_MAX_BYTES:
        raise DirectoryError(f"檔案超過 {IMPORT_MAX_BYTES // (1024 * 1024)} MB 上限。")
    plan = _plan(root["counties"], data, level, filename)
    report = plan.report()
    pending = imports(root)
    for key in [k for k, p in pending.items() if p.at < at - IMPORT_LIFETIME]:
        del pending[key]
    token = secrets.token_urlsafe(16)
    pending[token] = PendingImport(data, filename, level, who, at, fingerprint(report))
    return token, plan, report


def pending_import(root, token: str | None, at: dt.datetime):
    pending = imports(root).get(token) if isinstance(token, str) else None
    if pending is None or pending.at < at - IMPORT_LIFETIME:
        return None
    return pending


def confirm(root, token: str, today: dt.date, at: dt.datetime, who: str, *, close_missing: bool = False):
    """Apply the previewed file, if the tree still gives the change list that was shown."""
    pending = pending_import(root, token, at)
    if pending is None:
        raise DirectoryRefused("預覽已失效，請重新上傳名錄檔。")
    counties = root["counties"]
    plan = _plan(counties, pending.data, pending.level, pending.filename)
    if fingerprint(plan.report()) != pending.fingerprint:
        raise DirectoryRefused("預覽後名錄資料已有變動，請重新上傳並確認新的異動清單。")
    touched = {u.__parent__ for u, _row in plan.moved if u.__parent__ is not None}
    lines = _import_lines(plan, close_missing)
    apply_import(counties, plan, today, close_missing=close_missing)
    for county in touched | {counties[row.county_code] for _u, row in plan.moved}:
        generation(county).change(1)
    for code, line in lines:
        note(root, code, at, who, "units.import", f"名錄匯入（{pending.filename[:60]}）：{line}")
    del imports(root)[token]
    return plan, pending


def _import_lines(plan, close_missing: bool) -> list[tuple[str, str]]:
    """(unit code, what the import does to it), taken before the plan is applied."""
    lines = [(row.code, f"新增 {row.name}") for row in plan.added]
    lines += [(u.code, f"名稱：{u.name} → {row.name}") for u, row in plan.renamed]
    lines += [(u.code, f"縣市：{COUNTIES.get(u.county_code, u.county_code)} → {COUNTIES[row.county_code]}")
              for u, row in plan.moved]
    lines += [(u.code, "地址、電話、網址或公私立更新") for u, _row in plan.updated]
    lines += [(u.code, "恢復使用（取消裁撤）") for u, _row in plan.reopened]
    if close_missing:
        lines += [(u.code, "名錄中沒有，登記裁撤") for u in plan.missing]
    return lines
