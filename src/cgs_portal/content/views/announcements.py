"""內容管理 → 公告: the list, a new announcement, editing, retiring."""
from __future__ import annotations

from pyramid.view import view_config

from ...resources import PortalRoot
from ...resources.root import get_app_root
from ...security import Perm
from ...site.announcements import STATUS_LABELS
from .. import actions
from ..schemas import AnnouncementSchema
from . import FORM_PAGE, back, by_id, make_form, process, state_change


@view_config(context=PortalRoot, name="content-announcements", permission=Perm.ADMIN,
             renderer="cgs_portal:templates/content/announcements.pt")
def announcement_list(request):
    form = make_form(request, AnnouncementSchema(), "新增公告", "announcement-form")

    def success(data):
        actions.add_announcement(request, data)
        return back(request, "content-announcements", "已新增公告。")

    response, values = process(request, form, success)
    if response is not None:
        return response
    today = request.clock.today()
    rows = [(a, STATUS_LABELS[a.status_on(today)]) for a in get_app_root(request).announcements]
    return {**values, "page_title": "公告管理", "rows": rows}


@view_config(context=PortalRoot, name="content-announcement", permission=Perm.ADMIN, renderer=FORM_PAGE)
def announcement_edit(request):
    announcement = by_id(request, get_app_root(request).announcements)
    form = make_form(request, AnnouncementSchema(), "儲存公告", "announcement-form")

    def success(data):
        actions.edit_announcement(request, announcement, data)
        return back(request, "content-announcements", "已更新公告。")

    current = {"text": announcement.text, "important": announcement.important, "order": announcement.order,
               "starts_on": announcement.starts_on, "ends_on": announcement.ends_on}
    response, values = process(request, form, success, appstruct=current)
    if response is not None:
        return response
    return {**values, "page_title": "修改公告",
            "back": (request.resource_url(request.root, "content-announcements"), "公告管理")}


@view_config(context=PortalRoot, name="content-announcement-state", request_method="POST", permission=Perm.ADMIN)
def announcement_state(request):
    return state_change(request, get_app_root(request).announcements, "content-announcements",
                        ("retire", "restore"), actions.retire_announcement,
                        missing="找不到這則公告，請重新整理頁面後再試。", done=("已下架公告。", "已重新上架公告。"))
