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

Except when the commit failed in its second phase (``failed_after_vote``): the transaction
package calls every storage's ``tpc_finish`` only after all of them voted, and an error
there (ZEO's ``ClientDisconnected`` when the server's answer to ``tpc_finish`` is lost;
RelStorage's psycopg2 ``OperationalError``/``InterfaceError``, since on PostgreSQL RelStorage
sends its COMMIT in ``tpc_finish``) leaves it unknown whether the database committed. Such a
request is not retried (``ClientDisconnected`` is a ``TransientError``, which pyramid_tm
marks retryable for every instance; ``no_more_attempts`` makes this attempt the last) and
its 503 page (``MAYBE_SAVED``) says the data may have been saved and to check the month's
page before sending it again, instead of 「沒有儲存任何資料」. docs/deploy.md has the analysis.

Anything else no view expected is logged with its traceback and answered with a plain
zh-Hant page (status 500) that reads nothing from the database, so it renders even when
the database is what failed. It is the last resort, not a way to answer odd input: the
corpus test (``tests/test_no_5xx.py``) must never see it. Both pages pass through the
security headers tween like every response.

The exception views answer what is raised inside the exception view tween, i.e. in the
root factory, the views and the tweens under it, and (through pyramid_tm) in the commit.
Nothing above it may touch the database: pyramid_tm's ``tm.annotate_user`` (which reads
the account before the request reaches the exception view tween) is switched off in
``cgs_portal.includeme`` for that reason — with it on, a request arriving while
PostgreSQL restarted escaped as waitress's own 500 (``test_postgresql_restarted_during_
requests``). ``LastResort``, the WSGI middleware ``main`` puts around the router, is the
safety net for whatever still escapes (a tween above, pyramid_zodbconn closing the
connection, a response callback): it logs the error with its traceback on
``cgs_portal.errors`` and answers the same zh-Hant 503 page (database gone, conflict) or
500 page, without touching the database. The fault tests fail when an app process's log
shows it was used (``tests/storages/conftest.py: escaped_errors``).
"""
from __future__ import annotations

import logging
import sys
from html import escape

from pyramid.httpexceptions import HTTPBadRequest
from pyramid.response import Response
from pyramid.tweens import EXCVIEW
from pyramid.view import view_config
from pyramid_retry import is_last_attempt, mark_error_retryable
from ZODB.POSException import ConflictError

from ..contacts import HELPDESK_PHONE
from .headers import security_headers
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
# (status, title, message, Retry-After) of the three error pages; the views and LastResort.
UNAVAILABLE = (503, "系統暫時無法連線資料庫",
               "系統暫時無法連線資料庫，您這次的操作沒有儲存任何資料（不會重複填報）。"
               "請稍候約一分鐘後重新整理頁面或再送出一次；"
               f"若一再發生，請聯繫系統客服（{HELPDESK_PHONE}）。", RETRY_AFTER_SECONDS)
BUSY = (503, "系統忙碌中",
        "目前同時送出的資料較多，您這次的操作沒有儲存任何資料（不會重複填報）。"
        "請稍候片刻後再送出一次。", 5)
MAYBE_SAVED = (503, "無法確認資料是否已儲存",
               "資料庫在儲存您這次的操作時中斷連線，系統無法確認是否已經儲存：資料可能已經儲存。"
               "請勿直接重新整理或重新送出；請先查看結果（填報資料請到該月份的填報頁面查看填報狀態"
               "與上傳紀錄），確認沒有儲存後再重新上傳或送出。"
               f"若無法確認，請聯繫系統客服（{HELPDESK_PHONE}）。", None)
UNEXPECTED = (500, "系統發生未預期的錯誤",
              "系統發生未預期的錯誤，您的操作可能沒有完成，已記錄此問題。"
              f"請稍後再試一次；若一再發生，請聯繫系統客服（{HELPDESK_PHONE}）。", None)


def error_page(request, page) -> Response:
    status, title, message, retry_after = page
    response = plain_page(request, status, title, message)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def failed_after_vote(exc) -> bool:
    """True when ``exc`` came from a ``tpc_finish``, the second phase of the two-phase commit.

    ``transaction`` calls ``tpc_finish`` on its resources only after every one of them voted,
    so the database may have committed (the answer was lost) or not: nobody knows here.
    """
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "tpc_finish":
            return True
        tb = tb.tb_next
    return False


def no_more_attempts(request) -> None:
    """Make this attempt pyramid_retry's last, whatever the exception (not run again)."""
    attempt = request.environ.get("retry.attempt")
    if attempt is not None:
        request.environ["retry.attempts"] = attempt + 1


def maybe_saved(exc, request) -> Response:
    """The commit failed after every storage voted: not retried, and the page says so."""
    no_more_attempts(request)
    log.error("commit of %s %s failed in tpc_finish (the data may have been saved; not retried)",
              request.method, request.path[:200], exc_info=(type(exc), exc, exc.__traceback__))
    return error_page(request, MAYBE_SAVED)


def storage_unavailable(exc, request):
    """The database server is unreachable: retried (marked retryable), at the last attempt a 503."""
    if failed_after_vote(exc):
        return maybe_saved(exc, request)
    if not is_last_attempt(request):
        mark_error_retryable(exc)  # the retry policy discards this page and tries again
    else:
        log.warning("storage unreachable on %s %s: %s: %s", request.method, request.path[:200],
                    type(exc).__name__, str(exc)[:300])
    return error_page(request, UNAVAILABLE)


@view_config(context=ConflictError)
def still_conflicting(exc, request):
    if failed_after_vote(exc):
        return maybe_saved(exc, request)
    if is_last_attempt(request):  # earlier attempts' pages are discarded by the retry policy
        log.warning("conflict not resolved after the last retry on %s %s", request.method, request.path[:200])
    return error_page(request, BUSY)


@view_config(context=Exception)
def unexpected(exc, request):
    """The last resort: log the bug with its traceback, show a page without details."""
    if failed_after_vote(exc):
        return maybe_saved(exc, request)
    log.error("unexpected error on %s %s", request.method, request.path_qs[:300],
              exc_info=(type(exc), exc, exc.__traceback__))
    return error_page(request, UNEXPECTED)


def page_for(exc):
    """Which error page answers ``exc`` (the exception views' choice, for LastResort)."""
    if failed_after_vote(exc):
        return MAYBE_SAVED
    if isinstance(exc, ConflictError):
        return BUSY
    if isinstance(exc, disconnect_errors()):
        return UNAVAILABLE
    return UNEXPECTED


class LastResort:
    """WSGI middleware: an exception that escaped Pyramid (and its exception views) is
    logged with its traceback and answered with the zh-Hant 503 or 500 page, built here
    from the environ alone (no request, no database)."""

    def __init__(self, app, *, hsts: bool = False):
        self.app = app
        self.hsts = hsts

    def __getattr__(self, name):  # the router's registry, for scripts and tests
        return getattr(self.app, name)

    def __call__(self, environ, start_response):
        try:
            return self.app(environ, start_response)
        except Exception:
            exc_info = sys.exc_info()
            path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))[:200]
            log.error("exception escaped the exception views on %s %s", environ.get("REQUEST_METHOD"),
                      path, exc_info=exc_info)
            status, title, message, retry_after = page_for(exc_info[1])
            root = escape(environ.get("SCRIPT_NAME", ""), quote=True)
            body = PAGE.format(title=escape(title), message=escape(message), root=root).encode()
            headers = [("Content-Type", "text/html; charset=UTF-8"), ("Content-Length", str(len(body))),
                       ("Cache-Control", "no-store")] + security_headers(hsts=self.hsts)
            if retry_after is not None:
                headers.append(("Retry-After", str(retry_after)))
            reason = "Service Unavailable" if status == 503 else "Internal Server Error"
            # exc_info: the app may have called start_response already (re-raised if it was sent)
            start_response(f"{status} {reason}", headers, exc_info)
            return [body]
        finally:
            exc_info = None


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
