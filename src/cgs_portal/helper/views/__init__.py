"""填報幫手 pages: ``landing`` (the root page linking the four tools), ``carry`` (預填下月檔),
``merge`` (合併檔案), ``check`` (檢查檔案), ``codes`` (代碼查詢).

The tools are views of the ``Unit`` with ``Perm.REPORT_FILE``; only the unit's own account
uses them: a national administrator (who holds that permission everywhere) is answered like
a missing page, as every refusal inside the county/unit tree is.
"""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound

from ... import calendar
from ...reporting.views import own_unit, xlsx_response

__all__ = ["TOOLS", "back", "body_limit", "helper_unit", "month_choices", "own_unit", "posted_files", "safe_name", "tools",
           "xlsx_response"]

# (view name, title, what it does): the landing page and every tool page's tabs.
TOOLS = (
    ("helper-carry", "預填下月檔", "將上個月仍在輔導中的個案預先填入本月表格，只需補填晤談次數與結案情形。"),
    ("helper-merge", "合併檔案", "將多位輔導教師各自填寫的檔案合併為一個檔案，並檢查是否重複。"),
    ("helper-check", "檢查檔案", "隨時檢查填報檔案，不會上傳或完成填報。"),
    ("helper-codes", "代碼查詢", "查詢各欄位代碼及填寫規則。"),
)


def helper_unit(request):
    """The context unit, when the logged-in account is that unit's own account; else 404."""
    unit = request.context
    account = request.identity
    if account is None or account.role != "unit" or account.unit_code != unit.code:
        raise HTTPNotFound()
    return unit


def tools(request, unit, active=""):
    return [(name, title, what, request.resource_url(unit, name), name == active)
            for name, title, what in TOOLS]


def month_choices(offered, selected):
    return [(f"{y:04d}-{m:02d}", calendar.roc_month_label(y, m), (y, m) == selected) for y, m in offered]


def back(request, unit, view, refused, **query):
    """Say why on the tool's page (a flash message), after a POST or a bad link."""
    request.session.flash(refused.message + (" " + refused.advice if refused.advice else ""), "error")
    return HTTPFound(location=request.resource_url(unit, view, query=query))


def posted_files(request, name: str, limit_bytes: int) -> list:
    """The posted file fields called ``name`` (those with a file name), refused when the
    request is larger than ``limit_bytes`` (plus the form's own few bytes) or has none."""
    from ...reporting.rules import Refused

    if (request.content_length or 0) > limit_bytes + 64 * 1024:
        raise Refused(f"上傳的檔案超過 {limit_bytes // (1024 * 1024)} MB 上限，未檢查。",
                      "請刪除多餘的工作表、圖片或格式後再上傳。", code="too_big")
    fields = [f for f in request.POST.getall(name) if hasattr(f, "file") and getattr(f, "filename", "")]
    if not fields:
        raise Refused("請選擇要上傳的 Excel 檔（.xlsx）。", code="no_file")
    return fields


def safe_name(filename: str) -> str:
    """A posted file's own name, for a download's name: no folders, bounded, ``.xlsx``."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:100] or "workbook.xlsx"
    return name if name.lower().endswith(".xlsx") else name + ".xlsx"


def body_limit(request) -> int:
    """The portal's request body limit (``site.limits``): all files of one merge together."""
    from ...site.limits import DEFAULT_MAX_BODY_BYTES

    return int(request.registry.settings.get("cgs.max_body_bytes") or DEFAULT_MAX_BODY_BYTES)
