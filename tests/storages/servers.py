"""Real storage servers for the tests and the peak bench: a ZEO server and a PostgreSQL cluster.

Both run on loopback ports in a temporary folder and are stopped by whoever started them
(the session fixtures in ``tests/conftest.py`` with finalizers, ``bench/peak.py`` in a
``finally``). ``initdb`` and ``pg_ctl`` refuse to run as root, so as root they run as the
``postgres`` user (``runuser -u postgres --``) in a folder that user owns.

The URIs here are the ones ``docs/deploy.md`` documents: ZEO with a per-client blob cache
(``shared_blob_dir=false``), RelStorage through a zconfig file (``keep-history false``,
blobs as PostgreSQL large objects, a bounded blob cache).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
BLOB_CACHE_SIZE = "200MB"


class ServerMissing(RuntimeError):
    """The binaries of a server are not installed here."""


def servers_required() -> bool:
    """``make test`` sets CGS_REQUIRE_SERVERS=1: a missing server then fails instead of skipping."""
    return os.environ.get("CGS_REQUIRE_SERVERS", "").lower() not in ("", "0", "false", "no")


def missing_server(what: str, why: Exception):
    """Skip the test (fail it under CGS_REQUIRE_SERVERS) when a server's binaries are absent."""
    import pytest

    message = f"{what} is not available here ({why}); make test installs and starts it"
    if servers_required():
        pytest.fail(message + " — CGS_REQUIRE_SERVERS is set, so this fails", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, process=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        with contextlib.closing(socket.socket()) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def runzeo_command() -> list[str]:
    script = Path(sys.executable).parent / "runzeo"
    if script.exists():
        return [str(script)]
    try:
        import ZEO.runzeo  # noqa: F401
    except ImportError as missing:
        raise ServerMissing("ZEO is not installed in this Python") from missing
    return [sys.executable, "-m", "ZEO.runzeo"]


class ZEOServer:
    """``runzeo`` serving storages ``names`` (FileStorage + blobs each) from ``folder``."""

    def __init__(self, folder, names=("1",), port: int | None = None):
        self.folder = Path(folder)
        self.names = tuple(names)
        self.port = port or free_port()
        self.process = None
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config = self.folder / "zeo.conf"
        self.config.write_text(self._config_text())

    def _config_text(self) -> str:
        parts = [f"<zeo>\n  address 127.0.0.1:{self.port}\n  invalidation-queue-size 1000\n</zeo>\n"]
        for name in self.names:
            parts.append(
                f"<filestorage {name}>\n  path {self.data_fs(name)}\n"
                f"  blob-dir {self.blob_dir(name)}\n</filestorage>\n")
        parts.append(f"<eventlog>\n  <logfile>\n    path {self.folder / 'zeo.log'}\n"
                     "  </logfile>\n</eventlog>\n")
        return "".join(parts)

    def data_fs(self, name: str = "1") -> Path:
        return self.folder / f"Data-{name}.fs"

    def blob_dir(self, name: str = "1") -> Path:
        return self.folder / f"blobs-{name}"

    def start(self) -> ZEOServer:
        self.process = subprocess.Popen(runzeo_command() + ["-C", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        wait_for_port(self.port, process=self.process)
        return self

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def uri(self, name: str = "1", client_folder=None) -> str:
        """A ClientStorage URI with its own blob cache (``shared_blob_dir=false``)."""
        cache = Path(client_folder or tempfile.mkdtemp(prefix="cgs-zeo-client-")) / f"blobcache-{name}"
        return (f"zeo://127.0.0.1:{self.port}?storage={name}&blob_dir={cache}&shared_blob_dir=0"
                f"&blob_cache_size={BLOB_CACHE_SIZE}&wait_timeout=5")


def pg_bin(name: str) -> str:
    for folder in PG_BIN_DIRS:
        path = Path(folder) / name
        if path.exists():
            return str(path)
    found = shutil.which(name)
    if found and name not in ("initdb", "pg_ctl", "postgres"):
        return found
    raise ServerMissing(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")


def as_postgres(argv: list[str]) -> list[str]:
    """Run ``argv`` as the postgres user when we are root (initdb and pg_ctl refuse root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


class PostgresCluster:
    """A throw-away PostgreSQL cluster: ``initdb -A trust``, ``pg_ctl`` on a loopback port."""

    def __init__(self, folder=None, port: int | None = None):
        self.folder = Path(folder or tempfile.mkdtemp(prefix="cgs-pg-"))
        self.port = port or free_port()
        self.data = self.folder / "data"
        self.socket_dir = self.folder / "run"
        self.log = self.folder / "postgres.log"
        self.started = False
        self._template_ready = False

    def _own(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            import pwd

            entry = pwd.getpwnam("postgres")
            for path in (self.folder, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            os.chmod(self.folder, 0o755)

    def init(self) -> PostgresCluster:
        initdb = pg_bin("initdb")
        self._own()
        subprocess.run(as_postgres([initdb, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                                    "--locale=C", "-D", str(self.data)]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self

    def start(self) -> PostgresCluster:
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                                    "-o", options, "-w", "-t", "60", "start"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.started = True
        return self

    def stop(self, mode: str = "fast") -> None:
        if not self.started:
            return
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60",
                                    "stop"]), check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        self.started = False

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def dsn(self, dbname: str = "postgres") -> str:
        return f"dbname='{dbname}' host='127.0.0.1' port='{self.port}' user='postgres'"

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        import psycopg2

        conn = psycopg2.connect(self.dsn(dbname))
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
        finally:
            conn.close()

    def create_database(self, name: str) -> str:
        """A fresh database ``name`` with RelStorage's schema already in place."""
        self._ensure_template()
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE cgs_template')
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _ensure_template(self) -> None:
        """Create RelStorage's tables once, in a template copied for every test's database."""
        if self._template_ready:
            return
        self.execute("CREATE DATABASE cgs_template")
        folder = Path(tempfile.mkdtemp(prefix="cgs-pg-template-"))
        try:
            from ZODB import DB
            from zodburi import resolve_uri

            factory, dbkw = resolve_uri(self.uri("cgs_template", folder))
            DB(factory(), **dbkw).close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self._template_ready = True

    def uri(self, dbname: str, client_folder) -> str:
        """A zconfig URI of a RelStorage on ``dbname`` (the file is written in ``client_folder``)."""
        client_folder = Path(client_folder)
        client_folder.mkdir(parents=True, exist_ok=True)
        path = client_folder / f"relstorage-{dbname}.conf"
        path.write_text(relstorage_config(self.dsn(dbname), client_folder / f"blobcache-{dbname}"))
        return f"zconfig://{path}"


def relstorage_config(dsn: str, blob_cache, cache_size: int = 20000,
                      blob_cache_size: str = BLOB_CACHE_SIZE) -> str:
    """The zconfig text of the portal's RelStorage (the one docs/deploy.md shows)."""
    return (
        "%import relstorage\n"
        "<zodb main>\n"
        f"  cache-size {cache_size}\n"
        "  <relstorage>\n"
        "    keep-history false\n"
        "    shared-blob-dir false\n"
        f"    blob-dir {blob_cache}\n"
        f"    blob-cache-size {blob_cache_size}\n"
        "    <postgresql>\n"
        f"      dsn {dsn}\n"
        "    </postgresql>\n"
        "  </relstorage>\n"
        "</zodb>\n"
    )
