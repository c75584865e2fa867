"""統計查詢 (學校個案成果 / 學校服務成果): the five-step page, its chart and its download.

Root views (``stats-cases``, ``stats-services``, ``stats-download``) with permission
``Perm.MEMBER``; *whose* data is decided from the account alone (``scope_of``): a unit
account reads its own unit (exact figures), a county official the county they hold
``Perm.STATS_COUNTY`` on, a holder of ``Perm.STATS_NATIONAL`` the nation; everyone else
(the helpdesk) gets a 403 page saying so. Nothing in the query string names a unit or
county, so no parameter can widen the scope.
"""
from __future__ import annotations

import json
import tempfile
from urllib.parse import quote, urlencode

import colander
from pyramid.events import ApplicationCreated
from pyramid.response import FileIter, Response
from pyramid.settings import asbool
from pyramid.view import view_config

from ... import calendar
from ...resources import PortalRoot
from ...resources.root import get_app_root
from ...security import Perm
from ...workbook import codes as C
from .. import feed, memory, paging, snapshot, xlsx
from ..query import Scope, summary_text
from ..schemas import PAGE_PARAM, PAGES, page_number, parse, period_note, query_params
from ..tables import CATEGORY_MODES, GROUPS, LAYOUTS, MEASURES, SEX_OPTIONS, TABLES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_TITLES = {"cases": "學校個案成果", "services": "學校服務成果"}
TEMPLATE = "cgs_portal:templates/statistics/query.pt"


# -- who may see what ------------------------------------------------------------------------------

def scope_of(request):
    """(Scope, family or None) of the logged-in account, or (None, None): no statistics."""
    account = request.identity
    if account is None:
        return None, None
    counties = get_app_root(request)["counties"]
    if account.role == "unit" and account.unit_code:
        unit = counties.find_unit(account.unit_code)
        if unit is not None and request.has_permission(Perm.UNIT_STATUS, unit):
            return Scope("unit", unit.code, f"{unit.name}（{unit.code}）"), unit.family
    if account.role == "county" and account.county_code:
        county = counties.get(account.county_code)
        if county is not None and request.has_permission(Perm.STATS_COUNTY, county):
            return Scope("county", county.code, county.name), None
    if request.has_permission(Perm.STATS_NATIONAL, get_app_root(request)):
        return Scope("nation", "", "全國"), None
    return None, None


def refused(request):
    request.response.status = 403
    return {"page_title": "統計查詢", "refused": True, "preparing": False}


# -- the index -----------------------------------------------------------------------------------------

def current_index(request):
    """The index brought up to date in this request's connection, or None while it is built."""
    root = get_app_root(request)
    db = root._p_jar.db()
    holder = feed.holder_for(db)
    settings = request.registry.settings
    synchronous = asbool(settings.get("cgs.testing", False))
    if not holder.ready and not synchronous:
        start(db, settings)
    index = feed.current(holder, root, synchronous=synchronous)
    if index is not None:
        snapshot.maybe_save(holder, settings.get("cgs.stats_snapshot"), snapshot_every(settings))
    return index


def snapshot_every(settings) -> float:
    try:
        return max(0.0, float(settings.get("cgs.stats_snapshot_every", 600)))
    except ValueError:
        return 600.0


def start(db, settings):
    """Load the snapshot (if any), then catch up with the database (or build it all) in the
    background; the snapshot is written again when that applied anything."""
    holder = feed.holder_for(db)
    path = settings.get("cgs.stats_snapshot")
    if holder.ready or holder.building:
        return
    if path and not holder.loaded_snapshot:
        snapshot.load_into(holder, path)

    def after(done):
        if path and done.applied != done.saved_applied:
            snapshot.save_quietly(done, path)
            done.saved_applied = done.applied

    feed.build_in_background(db, holder, after=after)


def on_start(event):
    """At start-up: every database of the app gets its index (never in tests)."""
    registry = event.app.registry
    settings = registry.settings
    if asbool(settings.get("cgs.stats_keep_freed_memory", True)):
        memory.keep_freed_memory()  # the query temporaries stay in the heap (statistics.memory)
    if asbool(settings.get("cgs.testing", False)) or not asbool(settings.get("cgs.stats_prebuild", True)):
        return
    for db in getattr(registry, "_zodb_databases", {}).values():
        start(db, settings)


# -- the page ----------------------------------------------------------------------------------------

def threshold(request) -> int:
    try:
        return max(2, int(request.registry.settings.get("cgs.stats_min_cell", 3)))
    except ValueError:
        return 3


def answer(request, page: str, download: bool = False):
    """Everything the page (or the download) needs: scope, choices, result, errors."""
    scope, family = scope_of(request)
    if scope is None:
        return None
    query, choices, errors = parse(request.GET, page, request.clock.today(), family)
    out = {"scope": scope, "family": family, "choices": choices, "errors": errors, "query": query,
           "result": None, "preparing": False, "page": page,
           "period_note": period_note(choices, request.clock.today()) if query is not None else ""}
    if query is None or not (download or "run" in request.GET):
        return out
    index = current_index(request)
    if index is None:
        out["preparing"] = True
        return out
    out["result"] = paging.RECENT.run(index, query, scope, 10 ** 9 if scope.exact else threshold(request))
    return out


def page_size(request) -> int:
    try:
        return min(1000, max(1, int(request.registry.settings.get("cgs.stats_page_size", paging.PAGE_SIZE))))
    except ValueError:
        return paging.PAGE_SIZE


def page_values(request, page: str, found: dict) -> dict:
    today = request.clock.today()
    values = {
        "page_title": f"統計查詢：{PAGE_TITLES[page]}", "page": page, "refused": False, **found,
        "min_cell": threshold(request),
        "tables": [TABLES[t] for t in PAGES[page] if found["family"] in (None, TABLES[t].family)],
        "measures": MEASURES, "layouts": LAYOUTS, "categories": CATEGORY_MODES, "sexes": SEX_OPTIONS,
        "groups": GROUPS, "staff_types": C.STAFF_TYPES_A if found["family"] != "B" else C.STAFF_TYPES_B,
        "grades": C.GRADES, "targets": C.TARGETS,
        "years": list(range(111, calendar.roc_year(today.year) + 1)),
        "academic_years": list(range(111, calendar.academic_year_of(today) + 1)),
        "months": list(range(1, 13)),
        "other_url": request.resource_url(request.root, "stats-services" if page == "cases" else "stats-cases"),
        "action": request.resource_url(request.root, f"stats-{page}"),
        "retry_url": request.url,
        "scripts": [request.static_url("cgs_portal:static/stats.js")],
    }
    if found["result"] is not None:
        values.update(result_values(request, page, found["result"], query_params(found["choices"])))
    return values


def result_values(request, page: str, result, params: list) -> dict:
    """The shown page of the result (every block's total row kept), its chart and pager; the
    download link carries the query of the result (no page number: the xlsx is all rows)."""
    asked, page_note = page_number(request.GET)
    shown = paging.page_of(result, asked, page_size(request))
    if page_note is None and shown.clamped:
        page_note = f"第 {asked} 頁不存在（共 {shown.pages} 頁），已顯示第 {shown.number} 頁。"
    drawn = paging.chart_source(shown)
    drawn_text = chart_scope(shown)
    return {
        "scripts": [request.static_url("cgs_portal:static/vendor/chartjs/chart.umd.min.js"),
                    request.static_url("cgs_portal:static/charts.js"),
                    request.static_url("cgs_portal:static/stats.js")],
        "download_url": (request.resource_url(request.root, "stats-download") + "?"
                         + urlencode([("page", page), *params])),
        "blocks": [present(block) for block in shown.result.blocks],
        "chart_json": json.dumps(drawn.chart(), ensure_ascii=False).replace("<", "\\u003c"),
        "chart_label": summary_text(drawn) + (f"。{drawn_text}" if drawn_text else ""),
        "chart_scope": drawn_text, "page_note": page_note, "marker": f"<{result.threshold}",
        "pager": pager(request, page, params, shown) if shown.paged and not result.empty else None,
    }


def chart_scope(shown) -> str:
    """What the chart of a grouped result draws (its aria-label and its caption say it)."""
    if not paging.is_grouped(shown.result):
        return ""
    noun = shown.result.blocks[0].row_label
    drawn = (f"圖表只繪出本頁（第 {shown.number} / {shown.pages} 頁）的{span_text(shown)}"
             if shown.paged else f"圖表繪出全部 {shown.groups:,} 個{noun}")
    return drawn + ("，數值為各月合計" if len(shown.result.blocks) > 1 else "")


def span_text(shown) -> str:
    """「第 51–100 個單位（共 3,979 個）」 (one group: 「第 3 個單位」)."""
    noun = shown.result.blocks[0].row_label
    where = f"{shown.first:,}" if shown.first == shown.last else f"{shown.first:,}–{shown.last:,}"
    return f"第 {where} 個{noun}（共 {shown.groups:,} 個）"


def pager(request, page: str, params: list, shown) -> dict:
    """第 N / M 頁 with 上一頁 / 下一頁 and a window of page links; each link is the query of
    the result shown with another page number (changing page is not changing the query)."""
    keep = [*params, ("run", "1")]
    base = request.resource_url(request.root, f"stats-{page}") + "?" + urlencode(keep)

    def link(n):
        return f"{base}&{PAGE_PARAM}={n}"

    n, last = shown.number, shown.pages
    wanted = sorted({1, last, *range(max(1, n - 2), min(last, n + 2) + 1)})
    links = []  # (number, url); (None, None) for a gap (…)
    for before, k in zip([0, *wanted], wanted, strict=False):
        if before and k > before + 1:
            links.append((None, None))
        links.append((k, link(k)))
    return {"number": n, "pages": last, "prev": link(n - 1) if n > 1 else None,
            "next": link(n + 1) if n < last else None, "links": links,
            "span": span_text(shown), "action": request.resource_url(request.root, f"stats-{page}"),
            "hidden": keep, "param": PAGE_PARAM}


def present(block) -> dict:
    """A block as the template draws it: header rows and body rows of display strings."""
    heads = xlsx.header_rows(block)
    return {"caption": block.caption, "two_rows": len(heads) == 2, "block": block,
            "rows": xlsx.body_rows(block), "total_row": len(block.rows) - 1}


class PageQuery(colander.MappingSchema):
    page = colander.SchemaNode(colander.String(), validator=colander.OneOf(tuple(PAGES)), missing="cases")


@view_config(context=PortalRoot, name="stats-cases", renderer=TEMPLATE, permission=Perm.MEMBER)
def stats_cases(request):
    found = answer(request, "cases")
    return refused(request) if found is None else page_values(request, "cases", found)


@view_config(context=PortalRoot, name="stats-services", renderer=TEMPLATE, permission=Perm.MEMBER)
def stats_services(request):
    found = answer(request, "services")
    return refused(request) if found is None else page_values(request, "services", found)


@view_config(context=PortalRoot, name="stats-download", renderer=TEMPLATE, permission=Perm.MEMBER)
def stats_download(request):
    try:
        page = PageQuery().deserialize({"page": request.GET.get("page", "cases")[:20]})["page"]
    except colander.Invalid:
        page = "cases"
    found = answer(request, page, download=True)
    if found is None:
        return refused(request)
    if found["result"] is None:  # a forged or unfinished query, or the index is being built
        return page_values(request, page, found)
    spool = tempfile.TemporaryFile()  # streamed from disk: a national by-unit table is large
    xlsx.result_workbook(found["result"], found["scope"].label, request.clock.today(), spool)
    size = spool.tell()
    spool.seek(0)
    name = f"統計查詢_{found['result'].table.id}_{calendar.roc_date(request.clock.today()).replace('/', '')}.xlsx"
    response = Response(app_iter=FileIter(spool), content_type=XLSX, content_length=size)
    response.content_disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def includeme(config):
    config.add_subscriber(on_start, ApplicationCreated)
    config.scan(__name__)
