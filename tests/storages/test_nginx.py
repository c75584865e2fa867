"""deploy/nginx/cgs-portal.conf, run: /usr/sbin/nginx (TLS, a self-signed certificate) in
front of an app process configured like production.ini's proxy settings.

Only the values the file marks "deployment:" are replaced (ports, certificate, the path of
the error pages); the client connects from 127.0.0.2 so that the address the app records
can be told apart from nginx's own (127.0.0.1). Skipped, with the reason, where nginx or
openssl is not installed.
"""
from __future__ import annotations

import configparser
import os
import pwd
import re
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from cgs_portal.site.limits import BodyLimit
from storages import servers
from storages.conftest import ROOT, UNIT, XLSX, AppProcess, form_values, http_login, populate
from storages.inventory import opened_root

NGINX = "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx" / "cgs-portal.conf"
CLIENT = "127.0.0.2"  # loopback too, but not nginx's address
SPOOFED = "203.0.113.66"  # what a client writes into X-Forwarded-For itself


def production_ini() -> configparser.ConfigParser:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(ROOT / "production.ini")
    return ini


def production_proxy_settings():
    """(app settings, waitress settings) of production.ini that concern the proxy."""
    ini = production_ini()
    app = {k: ini["app:main"][k] for k in ("cgs.trust_forwarded_for", "cgs.secure_cookies",
                                            "cgs.max_body_bytes")}
    server = {k: ini["server:main"][k] for k in ("trusted_proxy", "trusted_proxy_headers",
                                                  "max_request_body_size")}
    return app, server


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"deploy/nginx/cgs-portal.conf no longer has exactly one {old!r}"
    return text.replace(old, new)


def site_for_test(folder: Path, app_port: int, https_port: int, http_port: int) -> str:
    """The site file with its "deployment:" values replaced, nothing else."""
    text = SITE.read_text()
    upstream = re.findall(r"^ *server 127\.0\.0\.1:\d+;.*# deployment.*\n", text, flags=re.M)
    assert len(upstream) == 2, upstream
    text = replace_once(text, upstream[0], f"    server 127.0.0.1:{app_port};\n")
    text = replace_once(text, upstream[1], "")
    text = replace_once(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = replace_once(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = replace_once(text, "/etc/ssl/cgs/fullchain.pem", str(folder / "cert.pem"))
    text = replace_once(text, "/etc/ssl/cgs/privkey.pem", str(folder / "key.pem"))
    return replace_once(text, "/srv/cgs/deploy/nginx/errors/", f"{ROOT}/deploy/nginx/errors/")


def nginx_conf(folder: Path, site: Path) -> str:
    """A non-daemon nginx whose every file is in ``folder`` (the http block includes ``site``)."""
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else "types { text/html html; }"
    temps = "".join(f"    {kind}_temp_path {folder / kind};\n"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} info;\nevents {{ worker_connections 64; }}\n"
            f"http {{\n    {mime}\n    default_type application/octet-stream;\n"
            f"    access_log {folder / 'access.log'};\n{temps}    include {site};\n}}\n")


class PortTransport(httpx.HTTPTransport):
    """Sends https://127.0.0.1/… (port 443, as users see the portal) to nginx's test port."""

    def __init__(self, port: int):
        super().__init__(verify=False, local_address=CLIENT)
        self.port = port

    def handle_request(self, request):
        if request.url.port in (None, 443):
            request.url = request.url.copy_with(port=self.port)
        return super().handle_request(request)


@pytest.fixture
def nginx_in_front(tmp_path, own_zeo, app_processes):
    if not Path(NGINX).exists():
        pytest.skip(f"{NGINX} is not installed (apt-get install nginx)")
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed: no certificate for nginx's TLS server")
    uri = own_zeo.uri("1", tmp_path / "client")
    populate(uri)
    app_settings, server_settings = production_proxy_settings()
    app = AppProcess(tmp_path / "app", uri, {**app_settings, "cgs.public_url": "https://127.0.0.1"},
                     server=server_settings).start()
    app_processes.append(app)
    folder = tmp_path / "nginx"
    folder.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    https_port, http_port = servers.free_port(), servers.free_port()
    site = folder / "cgs-portal.conf"
    site.write_text(site_for_test(folder, app.port, https_port, http_port))
    conf = folder / "nginx.conf"
    conf.write_text(nginx_conf(folder, site))
    command = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)]
    checked = subprocess.run(command + ["-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    try:
        servers.wait_for_port(https_port, timeout=30, process=nginx)
        yield {"app": app, "uri": uri, "https_port": https_port, "http_port": http_port}
    finally:
        nginx.send_signal(signal.SIGQUIT)  # graceful shutdown
        try:
            nginx.wait(20)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait(10)


def audit_addresses(uri, event):
    with opened_root(uri) as root:
        return [entry.address for entry in root.audit_log.values() if entry.event == event]


def test_nginx_in_front_of_the_portal(nginx_in_front):
    setup = nginx_in_front
    transport = PortTransport(setup["https_port"])
    with httpx.Client(base_url="https://127.0.0.1", transport=transport, timeout=60,
                      # a browser's POST carries Origin, which Pyramid's CSRF check wants over https
                      headers={"X-Forwarded-For": SPOOFED, "Origin": "https://127.0.0.1"}) as client:
        page = http_login(client)
        # pages come through, over TLS; the session cookie is Secure (production.ini)
        assert page.status_code == 200 and "登出" in page.text
        # the login's redirect is built on https://127.0.0.1 (X-Forwarded-Proto, Host $host)
        assert page.history and page.history[0].headers["Location"].startswith("https://127.0.0.1/")
        assert page.headers["Content-Security-Policy"] and page.headers["Strict-Transport-Security"]
        # the app records the client's address as nginx appended it; not nginx's, not the spoof
        assert audit_addresses(setup["uri"], "login.ok") == [CLIENT]

        # a body above client_max_body_size (= cgs.max_body_bytes) gets the zh-Hant page, with
        # the app's own wording, and never reaches the app
        max_bytes = int(production_ini()["app:main"]["cgs.max_body_bytes"])
        assert "client_max_body_size 12m;" in SITE.read_text() and max_bytes == 12 * 1024 * 1024
        action, values = form_values(client.get(UNIT + "month", params={"m": "2024-09"}).text, "upload-form")
        refused = client.post(action, data=values, files={"workbook": ("大.xlsx", b"x" * (max_bytes + 1), XLSX)})
        assert refused.status_code == 413
        assert refused.headers["Content-Type"].lower() == "text/html; charset=utf-8"
        assert paragraphs(refused.text) == paragraphs(app_413_page(max_bytes))
        assert "nginx" not in refused.text and refused.headers["Cache-Control"] == "no-store"
        assert "Retry-After" not in refused.headers

    # plain http is sent to https
    moved = httpx.get(f"http://127.0.0.1:{setup['http_port']}/login", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["Location"] == "https://127.0.0.1/login"

    # straight to waitress from an address that is no trusted proxy: X-Forwarded-For ignored
    # (over plain http: the client sends the Secure session cookie back regardless)
    with httpx.Client(base_url=setup["app"].url, transport=httpx.HTTPTransport(local_address=CLIENT),
                      headers={"X-Forwarded-For": SPOOFED}, timeout=60) as direct:
        direct.event_hooks["request"] = [lambda request: send_every_cookie(direct, request)]
        assert "帳號、密碼或驗證碼錯誤" in http_login(direct, password="wrong-password-1").text
    assert audit_addresses(setup["uri"], "login.failed") == [CLIENT]

    # no app process answers: nginx's zh-Hant 503 page, not its 502
    setup["app"].stop()
    with httpx.Client(base_url="https://127.0.0.1", transport=PortTransport(setup["https_port"])) as client:
        down = client.get("/login")
    assert down.status_code == 503 and down.headers["Retry-After"] == "30"
    assert "系統暫時無法回應" in down.text and "nginx" not in down.text


def send_every_cookie(client, request):
    if client.cookies:
        request.headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)


def paragraphs(html: str) -> list[str]:
    return re.findall(r"<(?:h1|p)[^>]*>([^<]*)<", html)


def app_413_page(max_bytes: int) -> str:
    """The page the app's body limit answers (what users see without nginx)."""
    answered = []
    body = BodyLimit(None, max_bytes)({"CONTENT_LENGTH": str(max_bytes + 1)},
                                      lambda status, headers: answered.append(status))
    assert answered == ["413 Request Entity Too Large"]
    return b"".join(body).decode()
