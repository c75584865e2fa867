"""內容管理: the back office's index and 範本適用學期 (the template schedule)."""
from __future__ import annotations

from pyramid.view import view_config

from ...resources import PortalRoot
from ...resources.root import get_app_root
from ...security import Perm
from .. import actions
from ..schemas import ResetPost, ScheduleSchema, read
from ..versions import ScheduleError
from . import back, make_form, process, store


@view_config(context=PortalRoot, name="content", renderer="cgs_portal:templates/content/index.pt",
             permission=Perm.ADMIN)
def content_index(request):
    content = store(request)
    today = request.clock.today()
    return {"page_title": "內容管理", "announcements": len(get_app_root(request).announcements),
            "shown": len(get_app_root(request).announcements.public(today)),
            "faq": len(content.faq.entries), "documents": len(content.documents.listed()),
            "threads": content.threads.counts()}


@view_config(context=PortalRoot, name="content-templates", renderer="cgs_portal:templates/content/templates.pt",
             permission=Perm.ADMIN)
def template_schedule(request):
    schedule = store(request).schedule
    form = make_form(request, ScheduleSchema(), "設定適用學期", "schedule-form")

    def success(data):
        try:
            actions.set_template_start(request, data["version"], data["academic_year"], data["term"])
        except ScheduleError as exc:
            return str(exc)
        return back(request, "content-templates", "已設定範本適用學期。")

    response, values = process(request, form, success)
    return response or {**values, "page_title": "範本適用學期", "rows": schedule.rows()}


@view_config(context=PortalRoot, name="content-templates-reset", request_method="POST", permission=Perm.ADMIN)
def template_schedule_reset(request):
    version = read(ResetPost(), request.POST)["version"]
    if version is None:
        return back(request, "content-templates", error="請選擇範本版本。")
    actions.reset_template_start(request, version)
    return back(request, "content-templates", "已恢復預設的適用學期。")
