"""資料查詢 → 填報紀錄 (歷史個案 / 歷史服務): a unit's own stored rows, and their download.

The pages are views of the ``Unit`` (``…/{unit}/history-cases``, ``history-services`` and
their ``.xlsx``), permission ``report.view``: inside the tree only the unit's own principal
and national administrators (``ALL_PERMISSIONS`` at the root) hold it, so county officials
and the helpdesk are refused by the permission itself (the 404 page). Because an
administrator holds every permission, who may read is then checked explicitly
(``reader``): the unit's own account, or an account holding ``records.read`` — whose every
read is written to the audit log. The unit always comes from the traversal context, never
from the query string. Root views ``records-history-cases`` / ``records-history-services``
send a unit account to its own unit's page (fixed names for the 資料查詢 landing page).
"""
from __future__ import annotations

from urllib.parse import quote, urlencode

import colander
from pyramid.httpexceptions import HTTPForbidden, HTTPFound
from pyramid.response import Response
from pyramid.view import view_config, view_defaults

from ... import calendar
from ...accounts import audit
from ...resources import AcademicYear, PortalRoot, Unit
from ...resources.root import get_app_root
from ...security import Perm, unit_principal
from .. import history_xlsx
from ..history import (
    MONTH,
    OPERATOR,
    PAGE_SIZES,
    SHEETS,
    History,
    MonthRows,
    columns_of,
    link_params,
    parse_query,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_NAMES = {"cases": "history-cases", "services": "history-services"}
SESSION_COLUMNS = "cgs.history.columns."
TEMPLATE = "cgs_portal:templates/statistics/history.pt"


# -- who reads, and what there is to read ------------------------------------------------------

def reader(request, unit) -> str | None:
    """``unit`` (the unit's own account), ``records`` (may read any unit's, audited) or None."""
    account = request.identity
    if account is None:
        return None
    if unit_principal(unit.code) in account.principals():
        return "unit"
    if request.has_permission(Perm.RECORDS_READ, unit):
        return "records"
    return None


def filed_months(unit) -> dict:
    """(year, month) → the current Filing, for every month of the unit that has one."""
    found = {}
    for folder in unit.values():
        if not isinstance(folder, AcademicYear):
            continue
        for report in folder.values():
            filing = getattr(report, "filing", None)
            if filing is not None:
                found[(report.year, report.month)] = filing
    return found


def month_rows(filings: dict, months, sheet) -> list[MonthRows]:
    out = []
    for ym in months:
        rows = filings[ym].rows
        out.append(MonthRows(ym[0], ym[1], tuple(rows.get(sheet)) if rows is not None else ()))
    return out


def params_of(request) -> dict:
    return {name: request.GET.getall(name) for name in request.GET.keys()}


class HistoryPage:
    """One history request: the parsed query, the rows it may read, the links it shows."""

    def __init__(self, request, unit, sheet):
        self.request, self.unit, self.sheet = request, unit, sheet
        self._bases: dict = {}
        self.filings = filed_months(unit)
        columns = columns_of(unit.family, sheet)
        self.query, self.messages, flags = parse_query(params_of(request), columns,
                                                       tuple(self.filings))
        self.query = self._with_columns(columns, flags["cols"])
        self.history = History(unit.family, sheet, month_rows(self.filings, self.query.months, sheet))

    def _with_columns(self, columns, chooser_sent):
        """The shown columns: the link's (kept in the session), else the session's, else all."""
        from dataclasses import replace

        key = SESSION_COLUMNS + self.sheet
        known = [c.key for c in columns]
        if self.query.columns:
            self.request.session[key] = list(self.query.columns)
            return self.query
        if chooser_sent:
            self.messages.append("請至少勾選一個要顯示的欄位；已顯示先前選擇的欄位。")
        kept = [k for k in self.request.session.get(key, ()) if k in known]
        return replace(self.query, columns=tuple(kept or known))

    @property
    def choosing(self) -> bool:
        return self.query.edit or not self.query.months

    def url(self, name=None, **changes) -> str:
        """A link to this page (or ``name``) with the query changed; the base computed once."""
        name = name or PAGE_NAMES[self.sheet]
        if name not in self._bases:
            self._bases[name] = self.request.resource_url(self.unit, name)
        query = urlencode(link_params(self.query, **changes))
        return self._bases[name] + ("?" + query if query else "")

    def month_labels(self) -> list[str]:
        return [calendar.roc_month_label(*ym) for ym in self.query.months]

    def audit_read(self, what: str) -> None:
        """A read by someone other than the unit itself is written to the audit log."""
        if reader(self.request, self.unit) != "records" or self.choosing:
            return
        months = "、".join(f"{calendar.roc_year(y)}/{m:02d}" for y, m in self.query.months)
        detail = f"單位 {self.unit.code} {self.unit.name}；{SHEETS[self.sheet]}{what}；月份 {months}"
        audit.record(self.request, "records.read", self.request.identity.login, detail)

    # -- what the template shows ----------------------------------------------------------

    def years(self) -> list:
        """The month choice: per academic year, its filed months (checked when chosen)."""
        chosen = set(self.query.months)
        by_year: dict = {}
        for ym in sorted(self.filings):
            filing = self.filings[ym]
            by_year.setdefault(calendar.academic_year_of_month(*ym), []).append({
                "value": f"{ym[0]:04d}-{ym[1]:02d}", "label": calendar.roc_month_label(*ym),
                "checked": ym in chosen, "no_cases": filing.kind == "no_cases"})
        return sorted(by_year.items(), reverse=True)

    def column_choices(self) -> list:
        shown = set(self.query.columns)
        return [(c.key, c.header, c.key in shown) for c in self.history.columns]

    def headers(self, shown) -> list:
        q = self.query
        out = []
        for column in shown:
            current = q.sort == column.key
            desc = current and not q.descending
            aria = ("descending" if q.descending else "ascending") if current else None
            out.append({"column": column, "aria": aria,
                        "url": self.url(sort=column.key, descending=desc, page=1, pick=None, edit=False),
                        "hint": "由大到小排序" if desc else "由小到大排序"})
        return out

    def filters(self) -> list:
        out = []
        for (key, _tokens), text in zip(self.query.filters, self.history.describe_filters(self.query),
                                        strict=True):
            rest = tuple(f for f in self.query.filters if f[0] != key)
            out.append({"text": text, "key": key,
                        "remove_url": self.url(filters=rest, page=1, pick=None, edit=False)})
        return out

    def hidden(self, *drop) -> list:
        """The state the page's forms carry along (each form sends its own part itself)."""
        pairs = link_params(self.query, page=1, pick=None, edit=False)
        return [(n, v) for n, v in pairs if n not in drop]

    def model(self) -> dict:
        page = None if self.choosing else self.history.page(self.query)
        pick = self.query.pick
        return {
            "page_title": f"{self.unit.name} 填報紀錄（{SHEETS[self.sheet]}）",
            "unit": self.unit, "sheet": self.sheet, "sheet_label": SHEETS[self.sheet],
            "tabs": [(SHEETS[s], self.request.resource_url(self.unit, PAGE_NAMES[s]), s == self.sheet)
                     for s in SHEETS],
            "messages": self.messages, "choosing": self.choosing, "years": self.years(),
            "column_choices": self.column_choices(), "result": page,
            "headers": self.headers(page.columns) if page else [],
            "filters": self.filters(), "operator": OPERATOR,
            "pick": self.history.by_key.get(pick) if pick else None,
            "options": self.history.options(pick, self.query) if pick and page else [],
            "chosen": self.query.filter_map.get(pick, frozenset()) if pick else frozenset(),
            "filterable": [c for c in self.history.columns], "month_key": MONTH,
            "months_text": "、".join(self.month_labels()), "query": self.query,
            "page_sizes": PAGE_SIZES, "hidden": self.hidden, "url": self.url,
            "action": self.request.resource_url(self.unit, PAGE_NAMES[self.sheet]),
            "download_url": self.url(PAGE_NAMES[self.sheet] + ".xlsx", page=1, pick=None, edit=False),
            "audited": reader(self.request, self.unit) == "records",
            "scripts": [self.request.static_url("cgs_portal:static/history.js")],
        }

    def download(self) -> Response:
        q = self.query
        made = calendar.roc_datetime(self.request.clock.now())
        header = history_xlsx.header_block(f"{self.unit.code} {self.unit.name}", self.sheet,
                                           self.month_labels(), self.history.describe_filters(q),
                                           made, len(self.history.select(q)))
        response = Response(content_type=XLSX)
        response.app_iter = history_xlsx.stream(self.history, q, header)
        stamp = "_".join(f"{y:04d}{m:02d}" for y, m in (q.months[0], q.months[-1]))
        filename = f"填報紀錄_{SHEETS[self.sheet]}_{self.unit.code}_{stamp}.xlsx"
        response.content_disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response


def _page(request, sheet) -> HistoryPage:
    unit = request.context
    if reader(request, unit) is None:
        raise HTTPForbidden()  # the forbidden view answers it (the 404 page in the tree)
    return HistoryPage(request, unit, sheet)


@view_defaults(context=Unit, permission=Perm.REPORT_VIEW)
class HistoryViews:
    def __init__(self, request):
        self.request = request

    @view_config(name="history-cases", renderer=TEMPLATE)
    def cases(self):
        return self.show("cases")

    @view_config(name="history-services", renderer=TEMPLATE)
    def services(self):
        return self.show("services")

    @view_config(name="history-cases.xlsx")
    def cases_xlsx(self):
        return self.download("cases")

    @view_config(name="history-services.xlsx")
    def services_xlsx(self):
        return self.download("services")

    def show(self, sheet):
        page = _page(self.request, sheet)
        model = page.model()
        page.audit_read("查詢")
        return model

    def download(self, sheet):
        page = _page(self.request, sheet)
        if page.choosing:  # nothing chosen: the page asks for the months first
            return HTTPFound(location=page.url(edit=False))
        page.audit_read("下載")
        return page.download()


# -- fixed names at the root for the 資料查詢 landing page ---------------------------------------

class UnitCode(colander.MappingSchema):
    unit = colander.SchemaNode(colander.String(), missing=None,
                               validator=colander.Regex(r"^[0-9A-Za-z]{6}$", msg="單位代碼應為 6 碼英數字"))


def _unit_code(request):
    try:
        return UnitCode().deserialize({"unit": request.GET.get("unit", colander.null) or colander.null})["unit"]
    except colander.Invalid:
        return False


@view_defaults(context=PortalRoot, permission=Perm.MEMBER,
               renderer="cgs_portal:templates/statistics/history_where.pt")
class WhereViews:
    """Send a unit account to its own unit's page; administrators pick a unit; others are told."""

    def __init__(self, request):
        self.request = request

    @view_config(name="records-history-cases")
    def cases(self):
        return self.send("cases")

    @view_config(name="records-history-services")
    def services(self):
        return self.send("services")

    def send(self, sheet):
        request = self.request
        account = request.identity
        counties = get_app_root(request)["counties"]
        code = account.unit_code if account.role == "unit" else _unit_code(request)
        records = account.role != "unit" and request.has_permission(Perm.RECORDS_READ, request.context)
        unit = counties.find_unit(code) if code and (account.role == "unit" or records) else None
        if unit is not None:
            return HTTPFound(location=request.resource_url(unit, PAGE_NAMES[sheet]))
        request.response.status = 200 if records else 403
        return {"page_title": f"填報紀錄（{SHEETS[sheet]}）", "records": records,
                "sheet": sheet, "action": request.resource_url(request.context, f"records-history-{sheet}"),
                "asked": code is not None, "bad": code is False, "unit_account": account.role == "unit"}


def includeme(config):
    config.scan(__name__)
