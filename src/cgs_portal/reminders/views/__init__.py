"""稽催 pages: ``history`` (稽催紀錄, re-send), ``closures``, ``mails`` (texts), ``lists``
(the national day-16 list and its .xlsx, a county's own list), ``banner`` (the unit's home)."""
from __future__ import annotations

from ...reporting.views import who, xlsx_response  # noqa: F401 - shared with the reporting pages
from ...resources.root import get_app_root


def root_of(request):
    return get_app_root(request)


def back(request, view: str, **query):
    from pyramid.httpexceptions import HTTPFound

    return HTTPFound(location=request.resource_url(request.root, view, query=query or None))


FLASH_MAX = 300


def flash_invalid(request, invalid) -> None:
    """The messages of a refused form, once each and bounded (never the posted value itself)."""
    text = " ".join(dict.fromkeys(invalid.asdict().values()))
    request.session.flash(text[:FLASH_MAX], "error")
