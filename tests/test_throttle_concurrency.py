"""30 wrong passwords for one account at the same moment: no 5xx, and the lockout engages.

Thirty threads, each with its own browser (session, captcha, address), post a wrong
password to one app over one FileStorage. Each request's first attempt waits at a
barrier inside the password check, after it has read the throttle's records and before
it writes them, so all thirty transactions overlap as they would on a busy server.
"""
from __future__ import annotations

import datetime as dt
import threading

import webtest

from cgs_portal.accounts import throttle
from support import PASSWORD, captcha_code, login, submit_together

PARALLEL = 30


def wrong_login_form(browser, login_id):
    page = browser.get("/login")
    form = page.forms["login-form"]
    form["login"] = login_id
    form["password"] = "Wrong12345x"
    form["captcha"] = captcha_code(browser)
    return form


def test_thirty_parallel_wrong_passwords_give_no_5xx_and_lock_the_account(app, world, monkeypatch):
    import cgs_portal.accounts.login as login_module

    barrier = threading.Barrier(PARALLEL, timeout=30)
    local = threading.local()
    real_verify = login_module.verify_password

    def verify_together(*args, **kw):
        result = real_verify(*args, **kw)
        if not getattr(local, "waited", False):  # first attempt only; retries run freely
            local.waited = True
            barrier.wait()
        return result

    monkeypatch.setattr(login_module, "verify_password", verify_together)
    forms = [wrong_login_form(webtest.TestApp(app, extra_environ={"REMOTE_ADDR": f"203.0.113.{i + 1}"}),
                              world["unit"]) for i in range(PARALLEL)]
    statuses = submit_together(forms)
    assert statuses == [200] * PARALLEL, statuses
    fresh = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "203.0.113.200"})
    assert "登入失敗次數過多" in login(fresh, world["unit"], PASSWORD).text


def test_two_transactions_failing_one_key_both_commit(app, world):
    """Two connections record a failure for the same new key at once: both commit, both count."""
    import transaction

    from cgs_portal.evolve import APP_KEY

    db = app.registry._zodb_databases[""]
    now = dt.datetime(2024, 10, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    managers = [transaction.TransactionManager(explicit=True) for _ in range(2)]
    connections = []
    for tm in managers:
        tm.begin()
        connections.append(db.open(transaction_manager=tm))
    for connection in connections:
        throttle.record_failure(connection.root()[APP_KEY], ["login:x"], now, limit=2)
    for tm in managers:
        tm.commit()  # the second commit's bucket conflict is resolved by the BTree
    for connection in connections:
        connection.close()
    with db.transaction() as connection:
        root = connection.root()[APP_KEY]
        assert throttle.locked_until(root, ["login:x"], now) == now + throttle.LOCK_FOR
        entries = list(throttle.key_range(root.throttle, "login:x"))
        assert sum(entry[1] == throttle.FAILURE for entry, _v in entries) == 2


def test_older_per_key_records_are_replaced_by_the_evolve_step():
    from BTrees.OOBTree import OOBTree

    class Root:
        throttle = OOBTree({"login:x": object()})

    root = Root()
    throttle.step_1_flat_events(root, None)
    assert len(root.throttle) == 0
    root.throttle[("login:x", throttle.FAILURE, dt.datetime(2024, 1, 1), "t")] = None
    throttle.step_1_flat_events(root, None)  # idempotent
    assert len(root.throttle) == 1
