"""cgs-init CONFIG: create the database if missing and apply pending evolve steps.

With ``cgs.demo = true`` (development.ini only) it also loads the demo
directory and creates demo accounts whose passwords are printed once.
"""
from __future__ import annotations

import argparse
import sys

from pyramid.settings import asbool, aslist

from ..evolve import APP_KEY, describe, evolve, latest
from .common import portal_env


def served_at_url(config_uri: str) -> str:
    """The browser address of the ini's ``[server:main]`` (its first ``listen`` entry)."""
    import plaster

    try:
        server = plaster.get_settings(config_uri, "server:main")
    except Exception:  # no server section: pserve's default
        server = {}
    listen = aslist(server.get("listen", ""))
    if listen:
        host, _, port = listen[0].rpartition(":")
    else:
        host, port = server.get("host", "localhost"), server.get("port", "6543")
    host = host.strip("[]")
    if host in ("", "*", "0.0.0.0", "::"):  # every interface: this machine answers too
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port or 80}"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="cgs-init", description=__doc__)
    parser.add_argument("config_uri", help="e.g. development.ini")
    args = parser.parse_args(argv)
    with portal_env(args.config_uri) as (env, zodb_root, tm):
        registry = env["registry"]
        applied = evolve(zodb_root, registry, tm=tm)
        root = zodb_root[APP_KEY]
        print(f"cgs-init: schema version {describe(dict(root.evolved))} "
              f"(latest {describe(latest(registry))}); {len(applied)} step(s) applied")
        for note in applied:
            print(f"  evolve {note}")
        settings = registry.settings
        if asbool(settings.get("cgs.demo", False)):
            from ..demo import load_demo

            served_at = {**settings, "cgs.served_at": served_at_url(args.config_uri)}
            for line in load_demo(root, registry, served_at):
                print(line)
            tm.get().note("cgs-init: demo data")
            tm.commit()
        else:
            from ..accounts.setup import ensure_first_admin

            for line in ensure_first_admin(root, registry, settings):
                print(line)
            tm.commit()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
