"""單位名錄 pages: search, a unit's page, add, edit, close, reopen, the CSV import."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config

from ..accounts import audit
from ..accounts.forms import make_form, process
from ..counties import COUNTIES
from ..directory import DirectoryError
from ..resources import PortalRoot
from ..resources.root import get_app_root
from ..security import Perm
from ..workbook.levels import LEVELS
from . import units
from .schemas import (
    ClosePost,
    CodeQuery,
    ConfirmPost,
    ImportPost,
    NewUnitSchema,
    SearchQuery,
    UnitSchema,
    read,
)


def _who(request) -> str:
    return request.identity.login


def _unit(request, params=None):
    code = read(CodeQuery(), params if params is not None else request.params)["code"]
    unit = get_app_root(request)["counties"].find_unit(code) if code else None
    if unit is None:
        raise HTTPNotFound()
    return unit


def _to_unit(request, unit, message=None, error=None) -> HTTPFound:
    if message:
        request.session.flash(message, "info")
    if error:
        request.session.flash(error, "error")
    return HTTPFound(location=request.resource_url(request.root, "unit-view", query={"code": unit.code}))


def record(request, unit_code: str, event: str, detail: str) -> None:
    """Date the change in the unit's directory log and audit it."""
    units.note(get_app_root(request), unit_code, request.clock.now(), _who(request), event, detail)
    audit.record(request, event, _who(request), f"{unit_code}：{detail}")


@view_config(context=PortalRoot, name="units", renderer="cgs_portal:templates/directory/search.pt",
             permission=Perm.ADMIN)
def search(request):
    query = read(SearchQuery(), request.params)
    searched = any(k in request.params for k in ("q", "county", "level"))
    found, total = (units.search(get_app_root(request)["counties"], query["q"] or "", query["county"],
                                 query["level"]) if searched else ([], 0))
    return {"page_title": "單位名錄", **{k: v or "" for k, v in query.items()}, "found": found, "total": total,
            "searched": searched, "counties": COUNTIES, "levels": LEVELS, "limit": units.MAX_RESULTS}


@view_config(context=PortalRoot, name="unit-view", renderer="cgs_portal:templates/directory/unit.pt",
             permission=Perm.ADMIN)
def unit_view(request):
    unit = _unit(request)
    return {"page_title": unit.name, "unit": unit, "county": COUNTIES.get(unit.county_code, ""),
            "history": units.history(get_app_root(request), unit.code)}


@view_config(context=PortalRoot, name="unit-edit", renderer="cgs_portal:templates/content/form.pt",
             permission=Perm.ADMIN)
def unit_edit(request):
    unit = _unit(request)
    form = make_form(request, UnitSchema(), "儲存", "unit-form")

    def success(data):
        try:
            changes = units.edit(get_app_root(request)["counties"], unit, data)
        except units.DirectoryRefused as exc:
            return str(exc)
        if changes:
            record(request, unit.code, "unit.edit", "；".join(changes))
        return _to_unit(request, unit, "已更新單位資料。" if changes else "資料沒有變動。")

    response, values = process(request, form, success, appstruct=units.describe(unit))
    return response or {**values, "page_title": f"修改單位：{unit.code} {unit.name}",
                        "back": (request.resource_url(request.root, "unit-view", query={"code": unit.code}), unit.name)}


@view_config(context=PortalRoot, name="unit-add", renderer="cgs_portal:templates/content/form.pt",
             permission=Perm.ADMIN)
def unit_add(request):
    form = make_form(request, NewUnitSchema(), "新增單位", "unit-form")

    def success(data):
        try:
            unit = units.add(get_app_root(request)["counties"], data, request.clock.today())
        except units.DirectoryRefused as exc:
            return str(exc)
        record(request, unit.code, "unit.add", f"{unit.name}（{unit.level}，{COUNTIES[unit.county_code]}），"
               f"設立 {unit.opened_on.isoformat()}")
        return _to_unit(request, unit, "已新增單位。")

    response, values = process(request, form, success, appstruct={"public": True})
    return response or {**values, "page_title": "新增單位",
                        "back": (request.resource_url(request.root, "units"), "單位名錄")}


@view_config(context=PortalRoot, name="unit-close", request_method="POST", permission=Perm.ADMIN)
def unit_close(request):
    unit = _unit(request, request.POST)
    values = read(ClosePost(), request.POST)
    if values["closed_on"] is None:
        return _to_unit(request, unit, error="請以民國年輸入裁撤日期（例：113/09/30）。")
    try:
        units.close(unit, values["closed_on"])
    except units.DirectoryRefused as exc:
        return _to_unit(request, unit, error=str(exc))
    record(request, unit.code, "unit.close", f"裁撤日期 {unit.closed_on.isoformat()}（之後的月份不需填報）")
    return _to_unit(request, unit, "已登記裁撤；裁撤後的月份不再列為應填報。")


@view_config(context=PortalRoot, name="unit-reopen", request_method="POST", permission=Perm.ADMIN)
def unit_reopen(request):
    unit = _unit(request, request.POST)
    try:
        closed_on = units.reopen(unit)
    except units.DirectoryRefused as exc:
        return _to_unit(request, unit, error=str(exc))
    record(request, unit.code, "unit.reopen", f"取消裁撤（原裁撤日期 {closed_on.isoformat()}）")
    return _to_unit(request, unit, "已恢復為使用中的單位。")


IMPORT_PAGE = "cgs_portal:templates/directory/import.pt"


@view_config(context=PortalRoot, name="units-import", renderer=IMPORT_PAGE, permission=Perm.ADMIN)
def units_import(request):
    values = {"page_title": "匯入單位名錄", "levels": LEVELS, "error": None, "token": None, "plan": None}
    upload = request.POST.get("file") if request.method == "POST" else None
    if request.method == "POST" and "submit" in request.POST:
        if not hasattr(upload, "file"):
            return {**values, "error": "請選擇教育部學校名錄 CSV 檔。"}
        data = upload.file.read(units.IMPORT_MAX_BYTES + 1)
        try:
            token, plan, report = units.preview(get_app_root(request), data, upload.filename or "", read(
                ImportPost(), request.POST)["level"], _who(request), request.clock.now())
        except DirectoryError as exc:
            return {**values, "error": str(exc)}
        values.update(token=token, plan=plan, report=report, filename=upload.filename)
    return values


@view_config(context=PortalRoot, name="units-import-confirm", request_method="POST", permission=Perm.ADMIN,
             renderer=IMPORT_PAGE)
def units_import_confirm(request):
    values = read(ConfirmPost(), request.POST)
    page = {"page_title": "匯入單位名錄", "levels": LEVELS, "token": None, "plan": None}
    if values["token"] is None:
        return {**page, "error": "預覽已失效，請重新上傳名錄檔。"}
    root = get_app_root(request)
    try:
        plan, pending = units.confirm(root, values["token"], request.clock.today(), request.clock.now(),
                                      _who(request), close_missing=bool(values["close_missing"]))
    except units.DirectoryRefused as exc:
        return {**page, "error": str(exc)}
    summary = plan.report(close_missing=bool(values["close_missing"])).splitlines()[-1]
    audit.record(request, "units.import", _who(request), f"{pending.filename[:80]}：{summary}")
    request.session.flash(f"已匯入名錄：{summary}", "info")
    return HTTPFound(location=request.resource_url(request.root, "units"))
