"""Logins at the same moment do not conflict on the audit log, and a retried login does not
redo its argon2 verification (bench/peak.py at 1,000 units: ~60 retries of ``POST login`` on
``BTrees.LOBTree.LOBucket`` / ``LOBTree``, some ending in the 503 page)."""
from __future__ import annotations

import datetime as dt
import threading

import webtest
from BTrees.LOBTree import LOBTree
from ZODB.POSException import ConflictError

from cgs_portal.accounts import audit
from support import PASSWORD, TAIPEI, add_account, add_unit, captcha_code, submit_together

PARALLEL = 6


def login_form(browser, login_id):
    form = browser.get("/login").forms["login-form"]
    form["login"] = login_id
    form["password"] = PASSWORD
    form["captcha"] = captcha_code(browser)
    return form


def fill_every_tree_to_its_split(root):
    """Every tree of the audit log one entry short of a bucket split (120 keys in its only
    bucket: the next append splits it), with entries of a day before."""
    when = dt.datetime(2024, 10, 2, 9, tzinfo=TAIPEI)
    shards = audit.trees(root.audit_log)
    for number, tree in enumerate(shards):
        key = audit.key_of(when) + number  # a key of this tree (key % the number of trees)
        while len(tree) < LOBTree.max_leaf_size:
            tree[key] = audit.AuditEntry(when, "logout", "earlier", "192.0.2.1")
            key += len(shards)


def test_parallel_logins_commit_without_a_conflict(app, portal, monkeypatch):
    """Six accounts log in at once (each request waits at a barrier after its password check,
    so all six transactions have read the log before any commits), every tree of the log
    about to split its bucket: all six log in at the first attempt, no retry."""
    import cgs_portal.accounts.login as login_module

    logins = [f"01360{i}_a001" for i in range(1, PARALLEL + 1)]
    with portal() as root:
        for i, name in enumerate(logins, 1):
            add_unit(root, f"01360{i}", f"新北市立示範第{i}國民小學", "國小", "65000")
            add_account(root, name, unit_code=f"01360{i}", personal_id="a001", name="王老師",
                        email=f"t{i}@example.invalid")
        fill_every_tree_to_its_split(root)
    barrier = threading.Barrier(PARALLEL, timeout=30)
    local = threading.local()
    real_verify = login_module.verify_password

    def verify_together(*args, **kw):
        result = real_verify(*args, **kw)
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()
        return result

    monkeypatch.setattr(login_module, "verify_password", verify_together)
    forms = [login_form(webtest.TestApp(app, extra_environ={"REMOTE_ADDR": f"203.0.113.{i + 1}"}), name)
             for i, name in enumerate(logins)]
    statuses = submit_together(forms)
    assert statuses == [302] * PARALLEL, statuses
    assert app.registry.cgs_retries.snapshot() == {}
    with portal() as root:
        ok = [e.login for _k, e in audit.search(root, event="login.ok")["entries"]]
        assert sorted(ok) == sorted(logins)


def test_a_retried_login_verifies_the_password_once(app, testapp, world, monkeypatch):
    """The first attempt of the login conflicts after its password check: pyramid_retry runs it
    again, which logs in without a second argon2 verification (the first attempt's result is
    in the environ, under a digest: the password is not)."""
    import cgs_portal.accounts.login as login_module

    calls, conflicts = [], []
    real_verify, real_complete = login_module.verify_password, login_module.complete_login

    def counted_verify(*args, **kw):
        calls.append(args[1])
        return real_verify(*args, **kw)

    def conflicting_once(request, *args, **kw):
        if not conflicts:
            conflicts.append(dict(request.environ[login_module.PASSWORD_CHECKS]))
            raise ConflictError("test: the login's first attempt conflicts")
        return real_complete(request, *args, **kw)

    monkeypatch.setattr(login_module, "verify_password", counted_verify)
    monkeypatch.setattr(login_module, "complete_login", conflicting_once)
    response = login_form(testapp, world["unit"]).submit("submit", status=302)
    assert response.headers["Location"].endswith("/")
    assert calls == [PASSWORD]  # once, for two attempts
    assert app.registry.cgs_retries.snapshot() == {"conflict": 1}
    [kept] = conflicts
    assert list(kept.values()) == [True]
    assert all(PASSWORD.encode() not in key for key in kept)
    assert testapp.get("/account").status_int == 200


def test_a_wrong_password_is_not_remembered_as_a_right_one():
    """The environ's results are keyed by the password: a request checking two passwords (a
    retry does not, but nothing relies on it) verifies each."""
    import types

    import cgs_portal.accounts.login as login_module
    from cgs_portal.accounts.passwords import hash_password

    stored = hash_password(PASSWORD)
    request = types.SimpleNamespace(environ={})
    assert login_module.password_matches(request, stored, PASSWORD) is True
    assert login_module.password_matches(request, stored, PASSWORD + "x") is False
    assert login_module.password_matches(request, None, PASSWORD) is False  # no account
    assert len(request.environ[login_module.PASSWORD_CHECKS]) == 3
