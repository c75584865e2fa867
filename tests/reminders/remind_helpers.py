"""Helpers of the reminders tests: run the reminders in-process, read the mails."""
from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
from pathlib import Path

from transaction.interfaces import NoTransaction

TAIPEI = dt.timezone(dt.timedelta(hours=8))


@contextlib.contextmanager
def run_env(app):
    """(request, root, tm) as the console script has them, on the app's database."""
    from pyramid.scripting import prepare
    from pyramid_zodbconn import get_connection

    from cgs_portal.evolve import APP_KEY

    env = prepare(registry=app.registry)
    request = env["request"]
    tm = request.tm
    tm.begin()
    try:
        yield request, get_connection(request).root()[APP_KEY], tm
    finally:
        try:
            tm.abort()
        except NoTransaction:
            pass
        env["closer"]()


def remind(app, day: dt.date, **options):
    """Run the reminders of ``day`` (the clock set to 07:00 that day); returns the Outcome."""
    from cgs_portal.reminders.run import Runner

    app.registry.cgs_clock.set_now(dt.datetime.combine(day, dt.time(7, 0), TAIPEI))
    with run_env(app) as (request, root, tm):
        return Runner(request, root, tm, day, **options).perform()


def messages(settings, skip=frozenset()) -> list[dict]:
    """Every mail written so far (but the ids in ``skip``), oldest first, with attachments."""
    folder = Path(settings["mail.debug_dir"])
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.is_dir() else []:
        if path.stem in skip:
            continue
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        found.append({"id": path.stem, "to": parsed["To"], "subject": str(parsed["Subject"]),
                      "body": body.get_content() if body is not None else "",
                      "attachments": {part.get_filename(): part.get_content()
                                      for part in parsed.iter_attachments()}})
    return found
