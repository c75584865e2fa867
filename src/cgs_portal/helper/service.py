"""填報幫手: the thin adapter between the helper pages and the workbook engine.

Carry-forward, merge and the code lookup are engine functions (``workbook.carry``,
``workbook.merge``, ``workbook.codebook``); checking a file reuses the filing intake
(``reporting.intake``) so a result is exactly what 當期填報 shows. Nothing here writes the
database but ``file_merged``, which goes through the filing path's own functions.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import os
import shutil
import tempfile
from dataclasses import dataclass

from .. import calendar
from ..reporting import intake, months, service, workflow
from ..reporting.rules import Refused, check_fileable, check_serial
from ..workbook import carry, codebook, merge

LOOKBACK_MONTHS = 12     # how far back 預填下月檔 looks for the latest filed month
MAX_PROBLEMS_SHOWN = 300
FILE_PROBLEMS_LISTED = 5
TEMP_PREFIX = "cgs-helper-"
MERGED_LIMIT = intake.MAX_BYTES  # a merged copy larger than this could not be filed anyway


# -- months -------------------------------------------------------------------------------------

def filing_months(unit, today) -> list:
    """The months a helper prepares a file for: the month now due and every open month of
    the current academic year (overdue, or reopened by an approved amendment)."""
    due = calendar.current_filing_month(today)
    found = [due] + [(r.year, r.month) for r in months.overdue_months(unit, today)]
    return sorted(set(found), reverse=True)


def check_months(today) -> list:
    """檢查檔案: every month of the current and previous academic year up to this month."""
    ay = calendar.current_academic_year(today)
    this = (today.year, today.month)
    both = calendar.academic_year_months(ay - 1) + calendar.academic_year_months(ay)
    return sorted((ym for ym in both if ym <= this), reverse=True)


def chosen(ym, offered, what: str):
    """``ym`` if it is one of ``offered`` (the first when none was asked), else ``Refused``."""
    if ym is None:
        return offered[0]
    if ym not in offered:
        raise Refused(f"{what}無法用於 {calendar.roc_month_label(*ym)}。",
                      "請由下方清單選擇月份。", code="month")
    return ym


# -- 預填下月檔 ---------------------------------------------------------------------------------

@dataclass
class Source:
    """The latest filed month with cases before a target month."""

    ym: tuple | None
    filing: object = None
    skipped: tuple = ()   # months between, filed as 當月無個案及服務

    @property
    def label(self) -> str:
        return calendar.roc_month_label(*self.ym) if self.ym else ""


def carry_source(unit, ym) -> Source:
    """Walk back from the month before ``ym``: the first filing with rows is the source.

    Months filed as 「當月無個案及服務」 (summer!) are skipped and named; a month never
    filed is skipped too; at most ``LOOKBACK_MONTHS`` back."""
    skipped, at = [], ym
    for _ in range(LOOKBACK_MONTHS):
        at = calendar.previous_month(*at)
        filing = getattr(unit.report(*at), "filing", None)
        if filing is None:
            continue
        if filing.rows is not None and filing.version in carry.VERSIONS:
            return Source(at, filing, tuple(skipped))
        skipped.append(at)
    return Source(None, None, tuple(skipped))


def carry_plan(unit, ym) -> dict:
    """What 預填下月檔 would put in the file of month ``ym`` (without building it)."""
    source = carry_source(unit, ym)
    target_ay = calendar.academic_year_of_month(*ym)
    plan = {"ym": ym, "label": calendar.roc_month_label(*ym), "key": f"{ym[0]:04d}-{ym[1]:02d}",
            "source": source, "carried": 0, "closed": 0, "graduated": 0, "shift": 0, "rows": 0,
            "version": intake.version_in_force(unit.family, target_ay),
            "skipped": "、".join(calendar.roc_month_label(*at) for at in source.skipped if source.ym)}
    if source.filing is not None:
        rows = source.filing.rows.cases
        shift = max(0, target_ay - calendar.academic_year_of_month(*source.ym))
        kept, closed, graduated = carry.select_rows(rows, source.filing.version, grade_shift=shift,
                                                    grades=unit.grades)
        plan.update(carried=len(kept), closed=closed, graduated=graduated, shift=shift, rows=len(rows))
    return plan


def carry_workbook(unit, ym) -> tuple[bytes, dict]:
    """The month's blank template with the open cases of the latest filed month."""
    plan = carry_plan(unit, ym)
    source = plan["source"]
    result = carry.carry_forward(
        source.filing.rows.cases if source.filing is not None else (),
        source.filing.version if source.filing is not None else plan["version"].id,
        plan["version"].id,
        source_academic_year=calendar.academic_year_of_month(*(source.ym or ym)),
        target_academic_year=calendar.academic_year_of_month(*ym), grades=unit.grades,
        unit_code=unit.code, unit_name=unit.name, roc_year=calendar.roc_year(ym[0]), month=ym[1])
    return result.data, plan


# -- 檢查檔案 ----------------------------------------------------------------------------------

def temporary_folder(spool_dir: str):
    """A folder for one request's files, in the portal's spool folder; gone afterwards."""
    os.makedirs(spool_dir, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=spool_dir)


def clean_temporary(spool_dir: str) -> int:
    """Remove the request folders a killed process left behind (``service.clean_spool`` keeps
    to files); the folders of live processes stay."""
    removed = 0
    if not os.path.isdir(spool_dir):
        return 0
    for entry in os.scandir(spool_dir):
        if not entry.name.startswith(TEMP_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        pid = entry.name[len(TEMP_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and service.process_alive(int(pid)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed += 1
    return removed


def check_upload(unit, ym, stream, folder: str):
    """The engine's result for one posted file, validated from a file in ``folder`` exactly as
    the filing does (same context, same comparison with last month); nothing is stored."""
    path, _size = service.spool(stream, folder=folder)
    ctx = intake.filing_context(unit, *ym)
    return path, intake.validate(path, ctx, service.previous_aggregates(unit, *ym))


def shown_result(result, shown_order) -> dict:
    """The engine's result as the month page shows an upload (plain problem dicts)."""
    problems = [intake.problem_dict(p) for p in result.problems]
    errors = [p for p in problems if p["severity"] == "error"]
    warnings = shown_order([p for p in problems if p["severity"] == "warning"])
    counted = (result.summary or {}).get("problems", {})
    warning_count = max(len(warnings), counted.get("warning", 0))
    return {
        "fatal": result.fatal, "notices": tuple(result.notices or ()),
        "errors": errors[:MAX_PROBLEMS_SHOWN], "error_count": max(len(errors), counted.get("error", 0)),
        "warnings": warnings[:MAX_PROBLEMS_SHOWN],
        "warnings_more": warning_count - min(len(warnings), MAX_PROBLEMS_SHOWN),
        "ok": result.ok, "rows": (result.summary or {}).get("rows", {}),
        "tables": intake.summary_tables(result.aggregates if result.ok else None),
        "annotatable": result.fatal is None and bool(problems), "problems": problems,
    }


def check_file(unit, ym, field, spool_dir: str, shown_order) -> dict:
    """檢查檔案: the month page's result for ``field``; the file is deleted with its folder."""
    with temporary_folder(spool_dir) as folder:
        path, result = check_upload(unit, ym, field.file, folder)
        shown = shown_result(result, shown_order)
        if shown["annotatable"]:
            with open(path, "rb") as source:
                shown["annotated"] = intake.annotate(source.read(), shown["problems"])
    return shown


# -- 合併檔案 ----------------------------------------------------------------------------------

def merge_files(unit, ym, fields, spool_dir: str) -> dict:
    """Check every posted file against the unit and month; merge them if all passed."""
    ctx = intake.filing_context(unit, *ym)
    checked, sources = [], []
    with temporary_folder(spool_dir) as folder:
        for field in fields:
            name = os.path.basename(field.filename)[:200]
            try:
                path, _size = service.spool(field.file, folder=folder)
            except Refused as refused:
                checked.append({"name": name, "fatal": refused.message, "errors": [], "error_count": 0})
                continue
            result = intake.validate(path, ctx)
            errors = [intake.problem_dict(p) for p in result.errors]
            checked.append({"name": name, "fatal": result.fatal, "errors": errors[:FILE_PROBLEMS_LISTED],
                            "error_count": len(errors), "rows": (result.summary or {}).get("rows", {})})
            if result.ok:
                sources.append(merge.Source(name, result.version, result.rows))
    out = {"checked": checked, "merged": None}
    if len(sources) == len(fields):
        out["merged"] = merge.merge_sources(sources, unit_code=unit.code, unit_name=unit.name,
                                            roc_year=calendar.roc_year(ym[0]), month=ym[1])
    return out


def sign(secret: str, unit, ym, data: bytes) -> str:
    """A signature binding a merged copy to the unit and month it was made for."""
    message = f"{unit.code}|{ym[0]:04d}-{ym[1]:02d}|".encode() + hashlib.sha256(data).digest()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def pack(secret, unit, ym, data: bytes) -> dict:
    return {"merged": base64.b64encode(data).decode("ascii"), "sig": sign(secret, unit, ym, data)}


def unpack(secret, unit, ym, merged: str | None, sig: str | None) -> bytes:
    """The merged copy posted back by the result page; ``Refused`` unless this portal made it
    for this unit and month."""
    try:
        data = base64.b64decode((merged or "").encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        data = b""
    if not data or not sig or not hmac.compare_digest(sign(secret, unit, ym, data), sig):
        raise Refused("合併檔案已失效或不完整，請重新上傳要合併的檔案。", code="merged")
    return data


def file_merged(unit, ym, data: bytes, serial, who: str, now, today, spool_dir: str, begin_again=None):
    """Upload a merged copy to 當期填報 through the filing path's own functions: the serial and
    the filing window are checked, the upload validated, then (after ``begin_again``, the
    caller's fresh transaction, as the month page's form does) checked again, stored and
    filed unless the unit must confirm (warnings, a re-filing)."""
    def guard():
        check_serial(unit.report(*ym), serial)
        check_fileable(unit, *ym, today)

    guard()
    path, _size = service.spool(io.BytesIO(data), folder=spool_dir)
    try:
        result = service.check_upload(unit, *ym, path)
        if begin_again is not None:
            begin_again()
            guard()
        report = unit.report(*ym, create=True)
        workflow.settle(report, today, now)
        stored = service.store_upload(unit, report, path, merged_name(unit, ym), who, now, result)
        if stored.status == "pending" and not service.needs_confirmation(report, stored):
            report.file(stored, who, now, today)
    finally:
        os.unlink(path)
    return stored


def merged_name(unit, ym) -> str:
    return f"{unit.code}_{ym[0]}-{ym[1]:02d}_合併.xlsx"


# -- 代碼查詢 ----------------------------------------------------------------------------------

def code_page(unit, today, query) -> dict:
    version = intake.version_in_force(unit.family, calendar.current_academic_year(today))
    lists = codebook.code_lists(version.id, level=unit.level, grades=unit.grades)
    return {"version": version, "lists": codebook.search(lists, query), "total": len(lists)}


def check_count(fields) -> None:
    if not merge.MIN_FILES <= len(fields) <= merge.MAX_FILES:
        raise Refused(f"請一次選擇 {merge.MIN_FILES}–{merge.MAX_FILES} 個檔案合併（收到 {len(fields)} 個）。",
                      "按住 Ctrl（Mac 為 ⌘）可一次選擇多個檔案。", code="count")
