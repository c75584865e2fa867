"""No request ends in a traceback: undecodable input is a 400, a genuine bug a logged 500.

Query strings and form bodies are decoded by webob when a view first reads
``request.params``; bytes that are not UTF-8 (``?q=%ff``) raise ``UnicodeDecodeError``
there, from whichever view or library reads them. The decoding guard (a tween just under
the exception view tween) decodes both once before any view runs and answers
``InvalidEncoding``, a 400 with a zh-Hant page. Values that decode but are odd (``²``,
``①``, huge numbers) are each view's schema's business (``reporting.schemas.read``).

When the storage cannot be reached (the ZEO server or PostgreSQL is down or restarting),
the driver's disconnect errors (``disconnect_errors``) reach ``storage_unavailable``: from a
view through the exception view tween, from the commit through pyramid_tm, which renders
commit errors with the same exception views. Before the last attempt the view marks the
error retryable, so pyramid_retry discards the page and runs the request again
(``cgs_portal.retrycount`` waits a little before each such retry, giving a restarting
server time to come back). When the last attempt fails too, the client gets a zh-Hant 503
page with ``Retry-After``: the transaction was aborted, nothing of the request was
written, and the same submission may simply be sent again. The ZODB clients
reconnect by themselves (ZEO's ClientStorage in the background, RelStorage on the next
use), so the process needs no restart. A ConflictError still unresolved after the last
retry is answered the same way (system busy, send again), never with a traceback.

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
from pyramid_retry import is_last_attempt, mark_error_retryable
from ZODB.POSException import ConflictError

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


def disconnect_errors() -> tuple[type[BaseException], ...]:
    """The exceptions by which ZEO and RelStorage/psycopg2 say the database server is gone."""
    from ZEO.Exceptions import ClientDisconnected

    found: list[type[BaseException]] = [ClientDisconnected]
    try:
        import psycopg2
        from relstorage.adapters.interfaces import ReplicaClosedException
    except ImportError:  # RelStorage is an extra
        pass
    else:
        found += [psycopg2.OperationalError, psycopg2.InterfaceError, ReplicaClosedException]
    return tuple(found)


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


RETRY_AFTER_SECONDS = 30


def storage_unavailable(exc, request):
    """The database server is unreachable: retried (marked retryable), at the last attempt a 503."""
    if not is_last_attempt(request):
        mark_error_retryable(exc)  # the retry policy discards this page and tries again
    else:
        log.warning("storage unreachable on %s %s: %s: %s", request.method, request.path[:200],
                    type(exc).__name__, str(exc)[:300])
    response = plain_page(request, 503, "系統暫時無法連線資料庫",
                          "系統暫時無法連線資料庫，您這次的操作沒有儲存任何資料（不會重複填報）。"
                          "請稍候約一分鐘後重新整理頁面或再送出一次；"
                          f"若一再發生，請聯繫系統客服（{HELPDESK_PHONE}）。")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@view_config(context=ConflictError)
def still_conflicting(exc, request):
    if is_last_attempt(request):  # earlier attempts' pages are discarded by the retry policy
        log.warning("conflict not resolved after the last retry on %s %s", request.method, request.path[:200])
    response = plain_page(request, 503, "系統忙碌中",
                          "目前同時送出的資料較多，您這次的操作沒有儲存任何資料（不會重複填報）。"
                          "請稍候片刻後再送出一次。")
    response.headers["Retry-After"] = "5"
    return response


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
    for error in disconnect_errors():
        config.add_exception_view(storage_unavailable, context=error)
    if asbool(config.get_settings().get("cgs.testing", False)):
        config.add_view(raise_for_tests, context=PortalRoot, name="test-unexpected-error",
                        permission=Perm.SITE_VIEW)
