"""cgs-init CONFIG: create the database if missing and apply pending evolve steps.

With ``cgs.demo = true`` (development.ini only) it also loads the demo
directory and creates demo accounts whose passwords are printed once.
"""
from __future__ import annotations

import argparse
import sys

from pyramid.settings import asbool

from ..evolve import APP_KEY, describe, evolve, latest
from .common import portal_env


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

            for line in load_demo(root, registry, settings):
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
