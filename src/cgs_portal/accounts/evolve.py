"""The accounts' evolve steps: the containers authentication writes to."""
from __future__ import annotations

from BTrees.OOBTree import OOBTree

CONCERN = "accounts"


def step_1_accounts(root, registry):
    """The accounts folder (created by the core step on databases before per-concern steps)."""
    from .models import Accounts

    if "accounts" not in root:
        root.add("accounts", Accounts())


def step_2_throttle(root, registry):
    """Failure counts of the rate limits and the password lockout."""
    if getattr(root, "throttle", None) is None:
        root.throttle = OOBTree()


def step_3_audit_log(root, registry):
    from .audit import AuditLog

    if getattr(root, "audit_log", None) is None:
        root.audit_log = AuditLog()


def step_4_account_tokens(root, registry):
    """The records of the single-use e-mail links."""
    from .tokens import TokenStore

    if getattr(root, "account_tokens", None) is None:
        root.account_tokens = TokenStore()


def step_5_captcha_used(root, registry):
    """The ids of captchas already checked (single-use captchas)."""
    from .captcha import UsedCaptchas

    if not isinstance(getattr(root, "captcha_used", None), UsedCaptchas):
        root.captcha_used = UsedCaptchas()


def step_6_factor_resets(root, registry):
    """The second-factor reset requests (the helpdesk asks, an administrator approves)."""
    if getattr(root, "factor_resets", None) is None:
        root.factor_resets = OOBTree()


def step_7_audit_log_shards(root, registry):
    """The audit log of one LOBTree becomes an AuditLog of shards (``accounts.audit``): each
    entry moves, under its own key, to the shard the key names; the entries themselves are
    not copied (only the trees' buckets are rewritten)."""
    from .audit import AuditLog

    old = getattr(root, "audit_log", None)
    if old is None or isinstance(old, AuditLog):
        return
    log = AuditLog()
    for key, entry in old.items():
        log[key] = entry
    root.audit_log = log


def includeme(config):
    config.add_evolution_step(CONCERN, 1, "the accounts folder", step_1_accounts)
    config.add_evolution_step(CONCERN, 2, "rate-limit and lockout counts", step_2_throttle)
    config.add_evolution_step(CONCERN, 3, "the audit log", step_3_audit_log)
    config.add_evolution_step(CONCERN, 4, "e-mail link records", step_4_account_tokens)
    config.add_evolution_step(CONCERN, 5, "used captcha ids", step_5_captcha_used)
    config.add_evolution_step(CONCERN, 6, "second-factor reset requests", step_6_factor_resets)
    config.add_evolution_step(CONCERN, 7, "the audit log in shards", step_7_audit_log_shards)
