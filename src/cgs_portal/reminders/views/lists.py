"""未完成填報名單: the national day-16 list (page, .xlsx) and a county official's own view."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from ...resources import County, PortalRoot
from ...security import Perm
from .. import service
from ..schemas import MonthOnly, read
from ..steps import month_key
from . import root_of, xlsx_response


def chosen_month(request):
    return read(MonthOnly(), request.GET)["m"] or service.default_month(request.clock.today())


@view_config(context=PortalRoot, name="reminders-missing", request_method="GET",
             renderer="cgs_portal:templates/reminders/missing.pt", permission=Perm.REMIND_ADMIN)
def national(request):
    return {"page_title": "未完成填報名單",
            **service.national_page(root_of(request), chosen_month(request), request.clock.today())}


@view_config(context=PortalRoot, name="reminders-missing.xlsx", request_method="GET",
             permission=Perm.REMIND_ADMIN)
def national_xlsx(request):
    ym = chosen_month(request)
    data = service.national_xlsx(root_of(request), ym, request.clock.today())
    return xlsx_response(data, f"未完成填報名單_{month_key(*ym)}.xlsx")


@view_config(context=County, name="reminders", request_method="GET",
             renderer="cgs_portal:templates/reminders/county.pt", permission=Perm.COUNTY_VIEW)
def county(request):
    return {"page_title": f"{request.context.name} 稽催狀況",
            **service.county_page(root_of(request), request.context, chosen_month(request),
                                  request.clock.today())}


@view_config(context=PortalRoot, name="county-reminders", request_method="GET", permission=Perm.MEMBER)
def own_county(request):
    """The county menu's entry: a county official's own county page."""
    account = request.identity
    if account.role == "county" and account.county_code in root_of(request)["counties"]:
        county = root_of(request)["counties"][account.county_code]
        return HTTPFound(location=request.resource_url(county, "reminders"))
    request.session.flash("「轄內稽催狀況」僅供縣市政府承辦人使用。", "error")
    return HTTPFound(location=request.resource_url(request.root))
