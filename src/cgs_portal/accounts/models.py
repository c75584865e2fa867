"""Accounts: who may log in, as what, for which unit or county."""
from __future__ import annotations

import datetime as dt

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.list import PersistentList

from ..resources.folder import Folder
from ..security import county_principal, role_principal, unit_principal

PENDING = "pending"  # registered, activation link not yet clicked
ACTIVE = "active"
DISABLED = "disabled"  # reset by the helpdesk or disabled by an administrator

SESSION_MAX_AGE = dt.timedelta(hours=12)
PENDING_HOLDS_UNIT_FOR = dt.timedelta(hours=24)  # an unactivated registration blocks its unit this long
PERSONAL_ID_PATTERN = r"^[0-9a-z_]{4,8}$"
KEEP_HASHES = 5  # previous password hashes kept (the rule looks at the last three)

RESET_REASONS = ("人員異動", "信箱無法使用")
STATUS_LABELS = {ACTIVE: "使用中", PENDING: "待開通", DISABLED: "已停用"}
FACTOR_ROLES = ("county", "admin", "helpdesk")  # log in with a second factor (accounts.factor)


class Account(Persistent):
    """A login: a unit's contact person, a county official, helpdesk or an administrator."""

    __name__ = None
    __parent__ = None
    # Attributes added after the foundation: class defaults keep older records valid.
    awaiting_email = None  # a new address waiting for its confirmation link
    disabled_reason = ""
    disabled_at = None
    # The second factor (accounts.factor): None until enrolled.
    totp_secret = None
    totp_last_step = None  # the last time step whose code was accepted (no replay)
    factor_enrolled_at = None
    recovery_hashes = ()  # argon2 hashes of the unused recovery codes

    def __init__(
        self,
        login: str,
        role: str,
        *,
        unit_code: str | None = None,
        county_code: str | None = None,
        personal_id: str | None = None,
        name: str = "",
        phone: str = "",
        email: str = "",
        status: str = PENDING,
        created_at: dt.datetime | None = None,
    ):
        self.login = login
        self.role = role
        self.unit_code = unit_code
        self.county_code = county_code
        self.personal_id = personal_id
        self.name = name
        self.phone = phone
        self.email = email
        self.status = status
        self.created_at = created_at
        self.password_hash = None
        self.password_changed_at = None
        self.password_history = PersistentList()  # previous hashes, newest last
        self.sessions = OOBTree()  # session id -> started at
        self.must_change_password = False

    @property
    def title(self):
        return self.login

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def needs_personal_id(self) -> bool:
        """A unit account from before personal ids (login == bare unit code)."""
        return self.role == "unit" and not self.personal_id

    def principals(self) -> list[str]:
        principals = [role_principal(self.role)]
        if self.role == "unit" and self.unit_code:
            principals.append(unit_principal(self.unit_code))
        if self.role == "county" and self.county_code:
            principals.append(county_principal(self.county_code))
        return principals

    @property
    def can_log_in(self) -> bool:
        return self.is_active and not self.awaiting_email

    def may_recover(self, email: str) -> bool:
        """忘記密碼: an active or pending account whose registered address is ``email``."""
        return self.status in (ACTIVE, PENDING) and self.email.lower() == email.lower()

    def update_contact(self, name: str, phone: str) -> list[str]:
        """Set 承辦人姓名 and 電話; returns the labels of those that changed."""
        changed = []
        for field, label, new in (("name", "承辦人姓名", name), ("phone", "電話", phone)):
            if new != getattr(self, field):
                setattr(self, field, new)
                changed.append(label)
        return changed

    # passwords ---------------------------------------------------------------
    def recent_password_hashes(self) -> list[str]:
        """The current and previous hashes the 'not one of the last 3' rule compares."""
        from .passwords import HISTORY

        hashes = list(self.password_history) + ([self.password_hash] if self.password_hash else [])
        return hashes[-HISTORY:]

    def password_problems(self, password: str) -> list[str]:
        from .passwords import password_problems

        return password_problems(
            password, unit_code=self.unit_code, personal_id=self.personal_id, login=self.login,
            history=self.recent_password_hashes(),
        )

    def set_password_hash(self, new_hash: str, now: dt.datetime) -> None:
        if self.password_hash:
            self.password_history.append(self.password_hash)
            del self.password_history[:-KEEP_HASHES]
        self.password_hash = new_hash
        self.password_changed_at = now
        self.must_change_password = False

    def set_password(self, password: str, now: dt.datetime) -> None:
        from .passwords import hash_password

        self.set_password_hash(hash_password(password), now)

    # state -------------------------------------------------------------------
    def activate(self) -> None:
        if self.status == PENDING:
            self.status = ACTIVE

    def disable(self, now: dt.datetime, reason: str = "") -> None:
        """Disable (reset) the account: it can no longer log in; every session ends."""
        self.status = DISABLED
        self.disabled_at = now
        self.disabled_reason = reason
        self.awaiting_email = None
        self.end_other_sessions(None)

    def request_email_change(self, new_email: str, keep_sid: str | None = None) -> int:
        """Hold ``new_email`` until confirmed; ends every other session. Returns how many."""
        self.awaiting_email = new_email
        return self.end_other_sessions(keep_sid)

    def confirm_email(self, new_email: str) -> None:
        self.email = new_email
        self.awaiting_email = None

    # sessions ---------------------------------------------------------------
    def start_session(self, sid: str, now: dt.datetime) -> None:
        for old, started in list(self.sessions.items()):
            if now - started > SESSION_MAX_AGE:
                del self.sessions[old]
        self.sessions[sid] = now

    def end_session(self, sid: str | None) -> None:
        if sid and sid in self.sessions:
            del self.sessions[sid]

    def end_other_sessions(self, keep: str | None = None) -> int:
        """Ends every session but ``keep``; returns how many were ended."""
        ended = 0
        for sid in list(self.sessions.keys()):
            if sid != keep:
                del self.sessions[sid]
                ended += 1
        return ended

    def session_is_valid(self, sid: str | None) -> bool:
        return self.is_active and bool(sid) and sid in self.sessions

    @property
    def factor_required(self) -> bool:
        """Officials, administrators and the helpdesk must log in with a second factor."""
        return self.role in FACTOR_ROLES

    @property
    def uses_factor(self) -> bool:
        """Logging in takes a second step: the factor is required or was turned on."""
        return self.factor_required or self.totp_secret is not None

    def enable(self, now: dt.datetime) -> None:
        """Re-enable a disabled official: active again if a password was set, else pending."""
        self.status = ACTIVE if self.password_hash else PENDING
        self.disabled_reason = ""
        self.disabled_at = None


class Accounts(Folder):
    """All accounts by login, with an index of the logins each unit ever had."""

    title = "帳號"

    def __init__(self):
        super().__init__()
        self.by_unit = OOBTree()  # unit code -> PersistentList of logins (history)

    def add_account(self, account: Account) -> Account:
        self.add(account.login, account)
        if account.unit_code:
            logins = self.by_unit.get(account.unit_code)
            if logins is None:
                logins = self.by_unit[account.unit_code] = PersistentList()
            logins.append(account.login)
        return account

    def register(self, unit, personal_id: str, password: str, now: dt.datetime, **contact) -> Account:
        """新建帳號: a pending account for ``unit`` (``contact``: name, phone, email); registrations
        of the unit never activated in time are disabled first."""
        for stale in self.for_unit(unit.code):
            if stale.status == PENDING:  # an activation never clicked in time
                stale.disable(now, "逾期未開通")
        account = Account(unit_login(unit.code, personal_id), "unit", unit_code=unit.code,
                          county_code=unit.county_code, personal_id=personal_id, status=PENDING,
                          created_at=now, **contact)
        account.set_password(password, now)
        return self.add_account(account)

    def for_unit(self, unit_code: str) -> list[Account]:
        return [self[login] for login in self.by_unit.get(unit_code, ()) if login in self]

    def active_for_unit(self, unit_code: str) -> Account | None:
        for account in self.for_unit(unit_code):
            if account.status in (ACTIVE, PENDING):
                return account
        return None

    def holder_of_unit(self, unit_code: str, now: dt.datetime) -> Account | None:
        """The account that keeps the unit from registering again (一學制一帳號), or None.

        An active account holds its unit; so does a pending registration while its
        activation link may still be used (24 hours). Older pending ones do not.
        """
        for account in self.for_unit(unit_code):
            if account.status == ACTIVE:
                return account
            if account.status == PENDING and account.created_at and (
                now - account.created_at < PENDING_HOLDS_UNIT_FOR
            ):
                return account
        return None

    def personal_ids_used(self, unit_code: str) -> set[str]:
        """Every personal id the unit ever had (retired ones too): none may be used again."""
        used = set()
        prefix = unit_code + "_"
        for login in self.by_unit.get(unit_code, ()):
            if login.startswith(prefix):
                used.add(login[len(prefix):])
        return used

    def rename(self, account: Account, new_login: str) -> Account:
        """Re-key ``account`` under ``new_login`` (變更登入帳號); the unit keeps its history."""
        if new_login in self:
            raise KeyError(f"{new_login!r} already exists")
        old_login = account.login
        self.remove(old_login)
        account.login = new_login
        self.add(new_login, account)
        if account.unit_code:
            logins = self.by_unit.get(account.unit_code)
            if logins is None:
                logins = self.by_unit[account.unit_code] = PersistentList()
            if new_login not in logins:
                logins.append(new_login)
        return account


def unit_login(unit_code: str, personal_id: str) -> str:
    return f"{unit_code}_{personal_id}"


def find_account(request, login: str) -> Account | None:
    from ..resources.root import get_app_root

    accounts = get_app_root(request).get("accounts")
    return accounts.get(login) if accounts is not None else None
