"""No request ends in a traceback: undecodable input is a 400, a genuine bug a logged 500.

Query strings and form bodies are decoded by webob when a view first reads
``request.params``; bytes that are not UTF-8 (``?q=%ff``) raise ``UnicodeDecodeError``
there, from whichever view or library reads them. The decoding guard (a tween just under
the exception view tween) decodes both once before any view runs and answers
``InvalidEncoding``, a 400 with a zh-Hant page. Values that decode but are odd (``²``,
``①``, huge numbers) are each view's schema's business (``reporting.schemas.read``).

Anything else no view expected is logged with its traceback and answered with a plain
zh-Hant page (status 500) that reads nothing from the database, so it renders even when
the database is what failed. It is the last resort, not a way to answer odd input: the
corpus test (``tests/test_no_5xx.py``) must never see it. Both pages pass through the
security headers tween like every response.
"""
from __future__ import annotations

import logging
from html import escape

from pyramid.httpexceptions import HTTPBadRequest
from pyramid.response import Response
from pyramid.tweens import EXCVIEW
from pyramid.view import view_config

from ..contacts import HELPDESK_PHONE
from .limits import PAGE

log = logging.getLogger("cgs_portal.errors")

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InvalidEncoding(HTTPBadRequest):
    """The query string or the form body is not UTF-8."""


def decoding_guard_tween_factory(handler, registry):
    def tween(request):
        try:
            request.GET  # noqa: B018 — decode once, here, not in a view
            if request.method == "POST" and request.content_type in FORM_TYPES:
                request.POST  # noqa: B018
        except UnicodeDecodeError:
            raise InvalidEncoding() from None
        return handler(request)

    return tween


def plain_page(request, status: int, title: str, message: str) -> Response:
    """A self-contained zh-Hant page (the body-limit middleware's), no layout, no database."""
    body = PAGE.format(title=escape(title), message=escape(message),
                       root=escape(request.script_name, quote=True))
    return Response(body, status=status, content_type="text/html", charset="utf-8")


@view_config(context=InvalidEncoding)
def invalid_encoding(request):
    return plain_page(request, 400, "網址或表單的內容無法辨識",
                      "網址或表單的內容無法辨識（不是有效的文字編碼），系統未處理此請求。"
                      "請回上一頁重新操作，或從首頁重新進入。")


@view_config(context=Exception)
def unexpected(exc, request):
    """The last resort: log the bug with its traceback, show a page without details."""
    log.error("unexpected error on %s %s", request.method, request.path_qs[:300],
              exc_info=(type(exc), exc, exc.__traceback__))
    return plain_page(request, 500, "系統發生未預期的錯誤",
                      "系統發生未預期的錯誤，您的操作可能沒有完成，已記錄此問題。"
                      f"請稍後再試一次；若一再發生，請聯繫系統客服（{HELPDESK_PHONE}）。")


def raise_for_tests(request):
    """Test-only (``cgs.testing``): a bug in a view, to prove the generic page."""
    raise RuntimeError("test-unexpected-error")


def includeme(config):
    from pyramid.settings import asbool

    from ..resources import PortalRoot
    from ..security import Perm

    config.add_tween("cgs_portal.site.errors.decoding_guard_tween_factory", under=EXCVIEW)
    if asbool(config.get_settings().get("cgs.testing", False)):
        config.add_view(raise_for_tests, context=PortalRoot, name="test-unexpected-error",
                        permission=Perm.SITE_VIEW)
