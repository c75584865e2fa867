"""代碼查詢: every code list of the version in force, with its rules, searchable without JS."""
from __future__ import annotations

from pyramid.view import view_config

from ...resources import Unit
from ...security import Perm
from .. import service
from ..schemas import CodeQuery, read
from . import helper_unit, tools


@view_config(context=Unit, name="helper-codes", renderer="cgs_portal:templates/helper/codes.pt",
             permission=Perm.REPORT_FILE)
def codes_page(request):
    unit = helper_unit(request)
    raw = request.params.get("q", "")
    query = read(CodeQuery(), request.params)["q"]
    found = service.code_page(unit, request.clock.today(), query or "")
    return {"page_title": "填報幫手 — 代碼查詢", "unit": unit, "tools": tools(request, unit, "helper-codes"),
            "query": query or "", "bad_query": query is None and bool(raw), **found}
