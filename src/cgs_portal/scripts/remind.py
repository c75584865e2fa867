"""cgs-remind CONFIG [--date YYYY-MM-DD] [--dry-run]: send the 稽催 reminders due that day.

Run once a day from cron on one machine (two at once are safe: see ``reminders.run``).
It sends every step due on the date, including one a missed day left undone, each
(step, month, recipient) exactly once. ``--dry-run`` prints who would get what and
changes nothing.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys

from ..evolve import APP_KEY
from .common import portal_env


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def main(argv=None, out=None):
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="cgs-remind", description=__doc__.splitlines()[0])
    parser.add_argument("config_uri", help="e.g. production.ini")
    parser.add_argument("--date", type=parse_date, help="the day to run for (default: today, Asia/Taipei)")
    parser.add_argument("--dry-run", action="store_true", help="print who would get what; change nothing")
    parser.add_argument("--batch-size", type=int, default=200, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from ..reminders.run import Runner

    with portal_env(args.config_uri) as (env, zodb_root, tm):
        request = env["request"]
        root = zodb_root.get(APP_KEY)
        if root is None or getattr(root, "reminders", None) is None:
            print("cgs-remind: the database is not set up or not evolved: run cgs-init first", file=sys.stderr)
            return 2
        today = args.date or request.clock.today()
        runner = Runner(request, root, tm, today, dry_run=args.dry_run, batch_size=max(1, args.batch_size))
        outcome = runner.perform()
        for line in outcome.lines:
            print(line, file=out)
        counts = ", ".join(f"{k} {v}" for k, v in outcome.counts.items())
        mode = "dry run: would send " + str(len(outcome.lines)) if args.dry_run else counts
        print(f"cgs-remind {today.isoformat()}: {mode}; already done {outcome.skipped}", file=out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
