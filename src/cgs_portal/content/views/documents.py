"""操作文件下載: the public list and downloads, and 內容管理 → 文件 (upload, retire)."""
from __future__ import annotations

from urllib.parse import quote

from pyramid.response import FileResponse
from pyramid.view import view_config

from ...resources import PortalRoot
from ...security import Perm
from ...site.pages import document_links
from .. import actions
from ..models import DOCUMENT_CATEGORIES, DOCUMENT_MAX_BYTES, DOCUMENT_TYPES, ContentError
from ..schemas import DATE_HINT, DocumentPost, parse
from . import back, by_id, state_change, store


@view_config(context=PortalRoot, name="documents", renderer="cgs_portal:templates/site/documents.pt",
             permission=Perm.SITE_VIEW)
def documents(request):
    return {"page_title": "操作文件下載", "sections": store(request).documents.by_category(),
            "documents": document_links(request)}


@view_config(context=PortalRoot, name="document", permission=Perm.SITE_VIEW)
def document_file(request):
    document = by_id(request, store(request).documents)
    if document.retired_on is not None and not request.has_permission(Perm.ADMIN):
        return back(request, "documents", error="此文件已下架。")
    response = FileResponse(document.blob.committed(), request=request, content_type=document.content_type)
    response.content_disposition = f"attachment; filename*=UTF-8''{quote(document.filename)}"
    return response


@view_config(context=PortalRoot, name="content-documents", renderer="cgs_portal:templates/content/documents.pt",
             permission=Perm.ADMIN)
def document_admin(request):
    errors = []
    if request.method == "POST" and "submit" in request.POST:
        response, errors = _upload(request)
        if response is not None:
            return response
    return {"page_title": "文件管理", "documents": store(request).documents.listed(include_retired=True),
            "errors": errors, "categories": DOCUMENT_CATEGORIES, "posted": request.POST if errors else {},
            "date_hint": DATE_HINT, "types": "、".join(sorted(DOCUMENT_TYPES)),
            "max_mb": DOCUMENT_MAX_BYTES // (1024 * 1024)}


def _upload(request):
    """(redirect, []) after a stored upload, or (None, messages) with nothing stored."""
    data, errors = parse(DocumentPost(), request.POST)
    upload = request.POST.get("file")
    if not hasattr(upload, "file"):
        errors.append("檔案：請選擇要上傳的檔案。")
    if errors:
        return None, errors
    try:
        actions.add_document(request, data, upload)
    except ContentError as exc:
        request.tm.doom()  # nothing of a refused upload is kept
        return None, [f"檔案：{exc}"]
    return back(request, "content-documents", "已上傳文件。"), []


@view_config(context=PortalRoot, name="content-document-state", request_method="POST", permission=Perm.ADMIN)
def document_state(request):
    return state_change(request, store(request).documents, "content-documents",
                        ("retire", "restore"), actions.retire_document,
                        missing="找不到這份文件，請重新整理頁面後再試。", done=("已下架文件。", "已重新上架文件。"))
