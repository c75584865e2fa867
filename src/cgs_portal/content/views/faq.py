"""Q&A: the public page with its search box, and 內容管理 → Q&A (categories and entries)."""
from __future__ import annotations

import colander
from pyramid.view import view_config

from ...resources import PortalRoot
from ...security import Perm
from .. import actions
from ..models import ContentError
from ..schemas import FaqCategorySchema, FaqEntrySchema, IdQuery, SearchQuery, read
from . import FORM_PAGE, back, by_id, make_form, process, store


@view_config(context=PortalRoot, name="faq", renderer="cgs_portal:templates/site/faq.pt",
             permission=Perm.SITE_VIEW)
def faq(request):
    query = read(SearchQuery(), request.params)["q"]
    if query is None:
        query, error = "", "搜尋字詞請在 50 字以內。"
    else:
        error = None
    return {"page_title": "Q&A 常見問題", "sections": store(request).faq.sections(query), "q": query,
            "error": error}


@view_config(context=PortalRoot, name="content-faq", renderer="cgs_portal:templates/content/faq.pt",
             permission=Perm.ADMIN)
def faq_admin(request):
    faq = store(request).faq
    counts = {}
    for entry in faq.entries.values():
        counts[entry.category_id] = counts.get(entry.category_id, 0) + 1
    return {"page_title": "Q&A 管理", "sections": faq.sections(), "categories": faq.sorted_categories(),
            "counts": counts}


def _optional(request, collection):
    """The item named by ``?id=`` (None for a new one); a 404 for an id that names nothing."""
    return by_id(request, collection) if request.params.get("id") else None


@view_config(context=PortalRoot, name="content-faq-category", renderer=FORM_PAGE, permission=Perm.ADMIN)
def faq_category(request):
    category = _optional(request, store(request).faq.categories)
    form = make_form(request, FaqCategorySchema(), "儲存分類", "faq-category-form")

    def success(data):
        actions.save_category(request, category, data)
        return back(request, "content-faq", "已儲存分類。")

    current = {"title": category.title, "order": category.order} if category else {}
    response, values = process(request, form, success, appstruct=current)
    return response or {**values, "page_title": "修改分類" if category else "新增分類",
                        "back": (request.resource_url(request.root, "content-faq"), "Q&A 管理")}


@view_config(context=PortalRoot, name="content-faq-entry", renderer=FORM_PAGE, permission=Perm.ADMIN)
def faq_entry(request):
    faq = store(request).faq
    entry = _optional(request, faq.entries)
    choices = [(c.id, c.title) for c in faq.sorted_categories()]
    form = make_form(request, FaqEntrySchema(), "儲存問答", "faq-entry-form", categories=choices)

    def success(data):
        actions.save_entry(request, entry, data)
        return back(request, "content-faq", "已儲存問答。")

    current = ({"category_id": entry.category_id, "question": entry.question, "answer": entry.answer,
                "order": entry.order} if entry else {})
    response, values = process(request, form, success, appstruct=current)
    return response or {**values, "page_title": "修改問答" if entry else "新增問答",
                        "back": (request.resource_url(request.root, "content-faq"), "Q&A 管理")}


class DeletePost(IdQuery):
    kind = colander.SchemaNode(colander.String(), validator=colander.OneOf(("category", "entry")))


@view_config(context=PortalRoot, name="content-faq-delete", request_method="POST", permission=Perm.ADMIN)
def faq_delete(request):
    values = read(DeletePost(), request.POST)
    faq = store(request).faq
    tree = {"category": faq.categories, "entry": faq.entries}.get(values["kind"])
    if tree is None or not values["id"] or values["id"] not in tree:
        return back(request, "content-faq", error="找不到要刪除的項目，請重新整理頁面後再試。")
    try:
        actions.delete_faq(request, values["kind"], values["id"])
    except ContentError as exc:
        return back(request, "content-faq", error=str(exc))
    return back(request, "content-faq", "已刪除。")
