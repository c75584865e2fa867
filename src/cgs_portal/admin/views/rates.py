"""填報率: the national dashboard (``/rates``, and ``/`` for national administrators), a county's
dashboard (the county's own address) and the .xlsx of every table."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from ...resources import County, PortalRoot
from ...resources.root import get_app_root
from ...security import Perm
from .. import dashboard, sheets
from . import asked_period, period_links

NATION = "cgs_portal:templates/admin/nation.pt"
COUNTY = "cgs_portal:templates/admin/county.pt"


def national_page(request, context=None) -> dict:
    ay, ym, _table = asked_period(request)
    counties = get_app_root(request)["counties"]
    page = dashboard.national(counties, ay, ym, request.clock.today(),
                              lambda code: request.resource_url(counties[code]))
    page.update(period_links(request, context or request.root, ay, ym))
    page["page_title"] = f"全國填報率 — {page['month_label']}"
    return page


@view_config(context=PortalRoot, name="rates", renderer=NATION, permission=Perm.STATS_NATIONAL)
def national_rates(request):
    return national_page(request, request.context)


def home_for_admin(request):
    """The root page of a national administrator: the national dashboard (site.views.home)."""
    return render_to_response(NATION, national_page(request), request=request)


@view_config(context=County, renderer=COUNTY, permission=Perm.COUNTY_VIEW)
def county_rates(request):
    county = request.context
    ay, ym, _table = asked_period(request)
    page = dashboard.county(county, ay, ym, request.clock.today(),
                            lambda code: request.resource_url(county[code]))
    page.update(period_links(request, county, ay, ym))
    page.update({"county": county, "page_title": f"{county.name}填報率 — {page['month_label']}",
                 "national_url": request.resource_url(request.root, "rates", query={"ay": ay, "m": page["m_key"]})
                 if request.has_permission(Perm.STATS_NATIONAL, request.root) else None})
    return page


@view_config(context=PortalRoot, name="rates.xlsx", permission=Perm.STATS_NATIONAL)
def national_xlsx(request):
    page = national_page(request, request.context)
    return download(request, page, "全國", {"counties": ("縣市", "code"), "levels": ("學制", None)})


@view_config(context=County, name="rates.xlsx", permission=Perm.COUNTY_VIEW)
def county_xlsx(request):
    county = request.context
    ay, ym, _table = asked_period(request)
    page = dashboard.county(county, ay, ym, request.clock.today(), lambda code: None)
    page["m_key"] = f"{ym[0]:04d}-{ym[1]:02d}"
    return download(request, page, county.name, {"units": ("單位", "code"), "levels": ("學制", None)})


def download(request, page, where: str, tables: dict):
    """The asked table of ``page`` as .xlsx (``months``: the month grid; else one of ``tables``)."""
    from ...reporting.views import xlsx_response

    table = asked_period(request)[2] or "months"
    if table == "months":
        data = sheets.grid_table("各月準時率", page["grid"])
    elif table in tables:
        heading, key = tables[table]
        first, keys = ([f"{heading}代碼", heading], ["code", "label"]) if key else ([heading], ["label"])
        data = sheets.tally_table(page["month_label"], first, page[table], keys)
    else:
        raise HTTPNotFound()
    return xlsx_response(data, f"{where}填報率_{page['ay']}學年度_{page['m_key']}_{table}.xlsx")


@view_config(context=PortalRoot, name="my-county", permission=Perm.MEMBER)
def my_county(request):
    """A county official's menu entry: to their county's dashboard (others: to the home page)."""
    counties = get_app_root(request)["counties"]
    code = getattr(request.identity, "county_code", None)
    if request.identity.role == "county" and code in counties:
        return HTTPFound(location=request.resource_url(counties[code]))
    return HTTPFound(location=request.resource_url(request.root))
