"""Signed, single-use, expiring e-mail links (activation, password, e-mail, set-up).

A link carries an ``itsdangerous`` signature over a random token id and its
purpose; the server keeps a record per id (``root.account_tokens``) saying for
whom, what it will do, when it expires and whether it was used. The signature
stops forgery, the record enforces single use, expiry and supersession (a new
link of the same purpose for the same account voids the older ones).
"""
from __future__ import annotations

import datetime as dt
import secrets

from BTrees.OOBTree import OOBTree
from itsdangerous import BadSignature, URLSafeSerializer
from persistent import Persistent
from persistent.list import PersistentList

LIFETIME = dt.timedelta(hours=24)
LIFETIME_HOURS = int(LIFETIME.total_seconds() // 3600)

ACTIVATE = "activate"  # registration: open the account
PASSWORD = "password"  # 忘記密碼: the new password (hash in payload) takes effect
EMAIL = "email"  # 變更信箱: the new address (payload) takes effect
SETUP = "setup"  # first administrator / officials: set your own password
CANCEL_EMAIL = "email-cancel"  # to the old address: cancel the pending change to the payload

PURPOSES = {
    ACTIVATE: "開通帳號",
    PASSWORD: "確認新密碼",
    EMAIL: "確認新信箱",
    SETUP: "設定密碼",
    CANCEL_EMAIL: "取消變更信箱",
}

# Why a link cannot be used (for the page that says so).
INVALID = "invalid"
EXPIRED = "expired"
USED = "used"
SUPERSEDED = "superseded"
MOOT = "moot"  # a cancel link for a change that was confirmed or cancelled meanwhile


class AccountToken(Persistent):
    requested_from = ""  # the client address of the request that issued it (older records: none)

    def __init__(self, token_id, purpose, login, payload, created_at, expires_at, address):
        self.token_id = token_id
        self.purpose = purpose
        self.login = login
        self.payload = payload
        self.created_at = created_at
        self.expires_at = expires_at
        self.address = address  # where the link was mailed
        self.used_at = None
        self.superseded = False

    def problem(self, now: dt.datetime) -> str | None:
        """Why this link cannot be used now, or None."""
        if self.used_at is not None:
            return USED
        if self.superseded:
            return SUPERSEDED
        if now >= self.expires_at:
            return EXPIRED
        return None


class TokenStore(Persistent):
    def __init__(self):
        self.tokens = OOBTree()  # token id -> AccountToken
        self.by_login = OOBTree()  # login -> PersistentList of token ids

    def add(self, token: AccountToken) -> None:
        self.tokens[token.token_id] = token
        ids = self.by_login.get(token.login)
        if ids is None:
            ids = self.by_login[token.login] = PersistentList()
        ids.append(token.token_id)

    def for_login(self, login: str) -> list[AccountToken]:
        return [self.tokens[i] for i in self.by_login.get(login, ()) if i in self.tokens]

    def rename_login(self, old: str, new: str) -> None:
        for token in self.for_login(old):
            token.login = new
        ids = self.by_login.pop(old, None)
        if ids is not None:
            self.by_login[new] = ids


def token_store(root) -> TokenStore:
    return root.account_tokens  # created by the accounts evolve step


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="cgs.accounts.link")


def issue(root, secret: str, purpose: str, login: str, now: dt.datetime, *, payload=None,
          address: str = "", lifetime: dt.timedelta = LIFETIME, requested_from: str = "") -> str:
    """A new signed link token; older unused links of this purpose for ``login`` are void."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    store = token_store(root)
    for old in store.for_login(login):
        if old.purpose == purpose and old.used_at is None:
            old.superseded = True
    token_id = secrets.token_urlsafe(16)
    token = AccountToken(token_id, purpose, login, payload, now, now + lifetime, address)
    if requested_from:
        token.requested_from = requested_from[:64]
    store.add(token)
    return _serializer(secret).dumps({"i": token_id, "p": purpose})


def lookup(root, secret: str, signed: str | None, purpose: str | None = None) -> AccountToken | None:
    """The record behind a signed token (used or not), or None if forged or unknown."""
    if not signed or len(signed) > 500:
        return None
    try:
        data = _serializer(secret).loads(signed)
    except BadSignature:
        return None
    if not isinstance(data, dict) or (purpose and data.get("p") != purpose):
        return None
    token = token_store(root).tokens.get(data.get("i"))
    if token is None or token.purpose != data.get("p"):
        return None
    return token


def check(root, secret: str, signed: str | None, now: dt.datetime, purpose: str | None = None):
    """(token, problem): problem is None when the link may be used now."""
    token = lookup(root, secret, signed, purpose)
    if token is None:
        return None, INVALID
    return token, token.problem(now)


def consume(token: AccountToken, now: dt.datetime) -> None:
    token.used_at = now
