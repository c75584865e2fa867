"""cgs-import-units CONFIG FILE.csv: import the MOE open school directory.

Prints the change list (added / renamed / moved / missing) and applies it in
one transaction. Never deletes a unit or its reports; units missing from the
file are reported, and closed (effective-dated) only with --close-missing.
Idempotent: a second run with the same file changes nothing.

The level is the directory file's: ``--level``, or the level its file name or
heading names (``113學年度國民小學名錄.csv``). Missing units are counted per county
on screen; the full list goes to ``--missing-report`` (default: beside the input,
``<file>-missing.tsv``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..clock import get_clock
from ..directory import DirectoryError, apply_import, parse_directory, plan_import
from ..evolve import APP_KEY, evolve
from ..workbook.levels import CENTRE, DIGIT_OF_LEVEL
from .common import portal_env


def main(argv=None):
    parser = argparse.ArgumentParser(prog="cgs-import-units", description=__doc__)
    parser.add_argument("config_uri")
    parser.add_argument("csv_file", type=Path)
    parser.add_argument("--level", choices=list(DIGIT_OF_LEVEL) + [CENTRE],
                        help="the level of this directory file (default: the level its name or"
                             " heading names; a file naming none is read by code digit, and"
                             " refused if any code's digit names no level)")
    parser.add_argument("--missing-report", type=Path,
                        help="write the units missing from the file here, one per line"
                             " (default: <file>-missing.tsv beside the input)")
    parser.add_argument("--close-missing", action="store_true",
                        help="close units that are not in the file (effective today)")
    parser.add_argument("--opened-on", type=dt.date.fromisoformat,
                        help="opening date for new units (default: today)")
    parser.add_argument("--dry-run", action="store_true", help="print the change list only")
    args = parser.parse_args(argv)
    try:
        rows, warnings = parse_directory(args.csv_file.read_bytes(), level=args.level,
                                         source_name=args.csv_file.name)
    except (OSError, DirectoryError) as exc:
        print(f"cgs-import-units: {exc}", file=sys.stderr)
        return 2
    with portal_env(args.config_uri) as (env, zodb_root, tm):
        evolve(zodb_root, env["registry"], tm=tm)
        root = zodb_root[APP_KEY]
        plan = plan_import(root["counties"], rows, warnings)
        print(plan.report(close_missing=args.close_missing))
        if plan.missing:
            report = args.missing_report or args.csv_file.with_name(f"{args.csv_file.stem}-missing.tsv")
            try:
                report.write_text(plan.missing_list(), encoding="utf-8")
            except OSError as exc:
                print(f"cgs-import-units: cannot write the missing list: {exc}", file=sys.stderr)
                tm.abort()
                return 2
            print(f"missing  list of {len(plan.missing)} unit(s) written to {report}")
        if args.dry_run:
            tm.abort()
            return 0
        today = get_clock(env["registry"]).today()
        apply_import(root["counties"], plan, today, opened_on=args.opened_on,
                     close_missing=args.close_missing)
        tm.get().note(f"cgs-import-units {args.csv_file.name}")
        tm.commit()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
