"""Uploads as the filing pages handle them: spooling the request body, storing a file, the re-filing diff.

Whether a month may be filed and the filing itself are the resources' behaviour
(``MonthlyReport.file`` …, checked by ``rules``); this module keeps what is not.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from .. import calendar
from . import intake
from .models import RowStore, Upload
from .rules import Refused

# -- uploads ------------------------------------------------------------------------------------

log = logging.getLogger(__name__)

# Spool files are named after the process that wrote them: cgs-upload-{pid}-{random}.xlsx.
SPOOL_PREFIX = "cgs-upload-"
SPOOL_NAME = re.compile(r"^cgs-upload-(\d+)-")


def default_spool_dir(settings) -> str:
    """``spool/`` beside the FileStorage (``var/spool`` in both ini files), else the project's
    ``var/spool`` (ZEO, RelStorage, memory)."""
    from .. import PROJECT_DIR

    parts = urlsplit(settings.get("zodbconn.uri") or "")
    if parts.scheme == "file" and parts.path:
        return str(Path(parts.path).parent / "spool")
    return str(PROJECT_DIR / "var" / "spool")


def process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier process that had our number: we have spooled nothing yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_spool(folder: str) -> int:
    """Create the spool folder and remove what killed processes left in it; the count removed.

    A process killed during validation (kill -9, OOM) leaves its copy of an upload behind.
    Several processes may share the folder, so the files of a process still running stay."""
    os.makedirs(folder, exist_ok=True)
    removed = 0
    for entry in os.scandir(folder):
        if not entry.name.startswith(SPOOL_PREFIX) or not entry.is_file(follow_symlinks=False):
            continue
        owner = SPOOL_NAME.match(entry.name)
        if owner and process_alive(int(owner.group(1))):
            continue
        os.unlink(entry.path)
        removed += 1
    if removed:
        log.warning("removed %d upload(s) left in %s by killed processes", removed, folder)
    return removed


def spool(stream, limit: int = intake.MAX_BYTES, *, folder: str) -> tuple[str, int]:
    """Copy an upload stream once into a file in ``folder`` (at most ``limit`` + 1 bytes)."""
    if hasattr(stream, "seek"):
        # pyramid_retry replays a request with the POST already parsed (webob caches it
        # in the environ): the same file object, already read once.
        stream.seek(0)
    fd, path = tempfile.mkstemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", suffix=".xlsx", dir=folder)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while size <= limit:
                chunk = stream.read(min(1 << 16, limit + 1 - size))
                if not chunk:
                    break
                out.write(chunk)
                size += len(chunk)
    except BaseException:
        os.unlink(path)
        raise
    if size > limit:
        os.unlink(path)
        raise Refused(f"檔案超過 {limit // (1024 * 1024)} MB 上限，未儲存。",
                      "請確認檔案只有本月資料，刪除多餘的工作表、圖片或格式後再上傳。", code="too_big")
    if size == 0:
        os.unlink(path)
        raise Refused("上傳的檔案是空的（0 位元組），未儲存。", "請選擇填寫好的 Excel 檔（.xlsx）再上傳。",
                      code="empty")
    return path, size


def previous_aggregates(unit, year: int, month: int):
    report = unit.report(*calendar.previous_month(year, month))
    filing = getattr(report, "filing", None)
    return filing.aggregates if filing is not None else None


def check_upload(unit, year: int, month: int, path: str):
    """Validate the spooled file for (unit, month). It only reads, so the callers run it
    before the short transaction that stores the result (``site.transactions``)."""
    ctx = intake.filing_context(unit, year, month)
    return intake.validate(path, ctx, previous_aggregates(unit, year, month))


def store_upload(unit, report, path: str, filename: str, who: str, now, result=None) -> Upload:
    """Keep the file as a blob and record its validation ``result`` (made here when not
    given) on the report."""
    if result is None:
        result = check_upload(unit, report.year, report.month, path)
    number = len(report.uploads) + 1
    upload = Upload(number, filename[:200], now, who)
    with open(path, "rb") as source:
        upload.write_from(source)
    upload.fatal = result.fatal
    upload.version = result.version
    upload.problems = tuple(intake.problem_dict(p) for p in result.problems)
    upload.summary = dict(result.summary or {})
    upload.notices = tuple(result.notices)
    upload.error_count = len(result.errors)
    upload.warning_count = len(result.warnings)
    if result.ok:
        upload.status = "pending"
        upload.rows = RowStore(result.rows)
        upload.aggregates = result.aggregates
    for earlier in report.uploads:
        if earlier.status == "pending":
            earlier.status = "superseded"
    report.uploads.append(upload)
    return upload


def needs_confirmation(report, upload) -> bool:
    """Warnings to confirm, or an earlier filing to replace: the unit confirms first."""
    return bool(upload.warning_count) or getattr(report, "filing", None) is not None


# -- what changes when a month is filed again --------------------------------------------------

CHANGES_LISTED = 20


def row_changes(version_id, old_rows, new_rows, listed: int = CHANGES_LISTED) -> dict:
    """Rows added / removed / changed per sheet, keyed by the sheet's unique fields.

    Besides the counts, the first ``listed`` rows of each kind are named (``lists``): the
    sheet's key as 「教師編碼 T01、學生代號 S001」, the Excel row (the new file's, the old
    filing's for removed rows) and, for a changed row, which fields changed from what to what.
    """
    headers = {k: h for k, h, _l in intake.columns(version_id, "cases") + intake.columns(version_id, "services")}
    out = {}
    for key in ("cases", "services"):
        fields = intake.unique_key_fields(version_id, key)
        before = {_key(r, fields): r for r in (old_rows.get(key) if old_rows else ())}
        after = {_key(r, fields): r for r in (new_rows.get(key) if new_rows else ())}
        added = [k for k in after if k not in before]
        removed = [k for k in before if k not in after]
        changed = [k for k in after if k in before and _body(after[k]) != _body(before[k])]
        out[key] = {"added": len(added), "removed": len(removed), "changed": len(changed),
                    "before": len(before), "after": len(after),
                    "examples": {"added": added[:5], "removed": removed[:5], "changed": changed[:5]},
                    "lists": {
                        "added": [_named(after[k], fields, headers) for k in added[:listed]],
                        "removed": [_named(before[k], fields, headers) for k in removed[:listed]],
                        "changed": [_named(after[k], fields, headers, before[k]) for k in changed[:listed]]},
                    "more": {"added": max(0, len(added) - listed), "removed": max(0, len(removed) - listed),
                             "changed": max(0, len(changed) - listed)}}
    return out


def _named(row, fields, headers, old=None) -> dict:
    """One row of the diff as the confirm page shows it."""
    key = "、".join(f"{headers.get(f, f)} {_text(row.get(f))}" for f in fields) or f"第 {row.get('_row')} 列"
    diffs = []
    if old is not None:
        diffs = [(headers.get(f, f), _text(old.get(f)), _text(v)) for f, v in row.items()
                 if not f.startswith("_") and f not in fields and _text(old.get(f)) != _text(v)]
    return {"key": key, "row": row.get("_row"), "fields": diffs}


def _text(value) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _key(row, fields):
    if not fields:
        return (row.get("_row"),)
    return tuple(str(row.get(f)) for f in fields)


def _body(row):
    return tuple(sorted((k, str(v)) for k, v in row.items() if not k.startswith("_")))


def replacement_summary(report, upload) -> dict | None:
    """What a pending upload would change against the current filing (None if first filing)."""
    filing = getattr(report, "filing", None)
    if filing is None:
        return None
    old_rows = filing.rows
    new_rows = upload.rows if upload is not None else None
    changes = row_changes(upload.version if upload else filing.version,
                          old_rows, new_rows)
    before = filing.counts
    after = upload.aggregates.get("counts", {}) if upload is not None and upload.aggregates else {
        "cases": 0, "services": 0, "sessions": 0}
    return {"changes": changes, "before": before, "after": after, "filing": filing}
