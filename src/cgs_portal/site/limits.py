"""The request body cap: WSGI middleware that answers 413 before the body is read.

It wraps the whole Pyramid app in ``main`` because pyramid_retry's execution policy
copies the body (``make_body_seekable``) before any tween runs. A declared
``Content-Length`` above the cap is refused without reading a byte; a body without one
(chunked, ``wsgi.input_terminated``) is read at most cap + 1 bytes. Waitress's own
``max_request_body_size`` (both ini files, a little above the cap) bounds what the
server buffers before the app is called; above that waitress answers its own plain 413.
A host site that mounts the portal with ``config.include('cgs_portal')`` wraps its own
WSGI app in ``BodyLimit`` to get the same cap.
"""
from __future__ import annotations

import io
from html import escape

from .headers import security_headers

# A little above the portal's 10 MiB upload limit (reporting.intake.MAX_BYTES) plus the
# multipart envelope, so a too-large workbook still gets the month page's own message.
DEFAULT_MAX_BODY_BYTES = 12 * 1024 * 1024

PAGE = """<!DOCTYPE html>
<html lang="zh-Hant">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{root}/deform_static/css/bootstrap.min.css">
<link rel="stylesheet" href="{root}/static/portal.css"></head>
<body><main class="container py-4" id="main">
<h1 class="h3">{title}</h1>
<p>{message}</p>
<p><a href="{root}/">回首頁</a></p>
</main></body>
</html>
"""


class BodyLimit:
    """WSGI middleware: bodies larger than ``max_bytes`` get a zh-Hant 413 page."""

    def __init__(self, app, max_bytes: int = DEFAULT_MAX_BODY_BYTES, *, hsts: bool = False):
        self.app = app
        self.max_bytes = max_bytes
        self.hsts = hsts

    def __getattr__(self, name):  # the router's registry, for scripts and tests
        return getattr(self.app, name)

    def __call__(self, environ, start_response):
        declared = environ.get("CONTENT_LENGTH", "")
        if declared:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                return self.refuse(environ, start_response, "400 Bad Request", "請求格式錯誤",
                                   "送出的資料長度無法辨識，系統未讀取。請重新操作一次。")
            if length > self.max_bytes:
                return self.too_large(environ, start_response)
        elif self._has_unsized_body(environ):
            body = environ["wsgi.input"].read(self.max_bytes + 1)
            if len(body) > self.max_bytes:
                return self.too_large(environ, start_response)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    @staticmethod
    def _has_unsized_body(environ) -> bool:
        return ("chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
                or bool(environ.get("wsgi.input_terminated")))

    def too_large(self, environ, start_response):
        megabytes = self.max_bytes // (1024 * 1024)
        return self.refuse(
            environ, start_response, "413 Request Entity Too Large", "送出的資料太大",
            f"送出的資料超過 {megabytes} MB 上限，系統未讀取也未儲存。"
            "請確認檔案只有本月資料，刪除多餘的工作表、圖片或格式後再上傳。")

    def refuse(self, environ, start_response, status, title, message):
        root = escape(environ.get("SCRIPT_NAME", ""), quote=True)
        body = PAGE.format(title=escape(title), message=escape(message), root=root).encode()
        headers = [("Content-Type", "text/html; charset=UTF-8"),
                   ("Content-Length", str(len(body))),
                   ("Cache-Control", "no-store")] + security_headers(hsts=self.hsts)
        start_response(status, headers)
        return [body]
