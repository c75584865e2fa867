"""填報說明 and the template downloads (blank, example, guide; a unit's own pre-filled blank)."""
from __future__ import annotations

from pyramid.view import view_config

from ... import calendar
from ...resources import PortalRoot, Unit
from ...security import Perm
from .. import intake
from ..schemas import MonthQuery, read
from . import own_unit, tabs, xlsx_response

TEMPLATE_DOCUMENTS = (
    ("113", "blank", "113學年度 填報表格（空白，學校）"),
    ("113", "example", "113學年度 填報範例（學校）"),
    ("113", "guide", "113學年度 填報表格說明（學校）"),
    ("B113", "blank", "113學年度 填報表格（空白，輔諮中心）"),
    ("111", "blank", "111學年度 填報表格（空白，學校）"),
)


def template_view_name(version_id: str, kind: str) -> str:
    return f"template-{version_id}-{kind}.xlsx"



@view_config(context=PortalRoot, name="filing", renderer="cgs_portal:templates/reporting/instructions.pt",
             permission=Perm.MEMBER)
def instructions(request):
    today = request.clock.today()
    unit = own_unit(request)
    ay, term = calendar.current_semester(today)
    return {
        "page_title": "工作填報 — 填報說明",
        "tabs": tabs(request, unit, "filing"),
        "unit": unit,
        "versions": [version_row(request, version, unit, ay) for version in intake.versions()],
        "semester": calendar.semester_label(ay, term),
        "current_label": calendar.roc_month_label(*calendar.current_filing_month(today)),
        "window": calendar.FilingWindow(*calendar.current_filing_month(today)),
        "is_admin": request.has_permission(Perm.REPORT_ADMIN, request.root),
    }


def version_row(request, version, unit, ay) -> dict:
    """One template version of the 填報說明 table, with its download links."""
    links = [(label, request.resource_url(request.root, template_view_name(version.id, kind)))
             for kind, label in intake.TEMPLATE_KINDS.items()]
    return {"label": version.label, "family": "輔諮中心" if version.family == "B" else "學校",
            "in_force": intake.version_in_force(version.family, ay).id == version.id, "links": links,
            "mine": unit is not None and unit.family == version.family}


def template_download(version_id, kind):
    def view(request):
        data = intake.template(version_id, kind)
        label = intake.TEMPLATE_KINDS[kind]
        return xlsx_response(data, f"輔導工作成果填報_{version_id}_{label}.xlsx")

    return view


def add_template_views(config):
    """The template downloads, and the ones 填報說明 lists as documents."""
    for version_id, kind, label in TEMPLATE_DOCUMENTS:
        config.add_document_link(label, template_view_name(version_id, kind),
                                 "工作填報的上傳格式（請以空白表格填寫，勿上傳填報範例）")
    for version in intake.versions():
        for kind in intake.TEMPLATE_KINDS:
            config.add_view(template_download(version.id, kind), context=PortalRoot,
                            name=template_view_name(version.id, kind), permission=Perm.SITE_VIEW)


@view_config(context=Unit, name="unit-template.xlsx", permission=Perm.REPORT_FILE)
def unit_template(request):
    unit = request.context
    ym = read(MonthQuery(), request.params)["m"] or calendar.current_filing_month(request.clock.today())
    version = intake.version_for_month(unit, *ym)
    data = intake.unit_template(version.id, unit, *ym)
    return xlsx_response(data, f"{unit.code}_{ym[0]}-{ym[1]:02d}_填報表格.xlsx")
