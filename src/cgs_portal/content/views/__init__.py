"""The content pages: public (Q&A, 操作文件下載, 線上諮詢) and the back office (內容管理).

One module per page family; every view parses with ``content.schemas`` and calls one
function of ``content.actions`` (or a model method).
"""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound

from ...accounts.forms import make_form, process  # noqa: F401 - re-exported for the page modules
from ..actions import store  # noqa: F401
from ..schemas import ActionPost, IdQuery, read

FORM_PAGE = "cgs_portal:templates/content/form.pt"


def back(request, name: str, message: str | None = None, error: str | None = None, **query) -> HTTPFound:
    if message:
        request.session.flash(message, "info")
    if error:
        request.session.flash(error, "error")
    return HTTPFound(location=request.resource_url(request.root, name, query=query))


def by_id(request, collection, params=None):
    """The item of ``collection`` named by the ``id`` parameter; a 404 when there is none."""
    key = read(IdQuery(), params if params is not None else request.params)["id"]
    item = collection.get(key) if key else None
    if item is None:
        raise HTTPNotFound()
    return item


def state_change(request, collection, page, verbs, change, *, missing, done) -> HTTPFound:
    """A back-office state change POSTed as ``id`` and ``action``, one of the two ``verbs``
    (retire/restore, close/reopen): ``change(request, item, action == verbs[0])``, then back to
    ``page`` with ``done[0]`` or ``done[1]``; the error ``missing`` when the item or the action
    is unknown."""
    values = read(ActionPost(), request.POST)
    item = collection.get(values["id"])
    if item is None or values["action"] not in verbs:
        return back(request, page, error=missing)
    first = values["action"] == verbs[0]
    change(request, item, first)
    return back(request, page, done[0] if first else done[1])


def includeme(config):
    config.scan(".")
