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


class Account(Persistent):
    """A login: a unit's contact person, a county official, helpdesk or an administrator."""

    __name__ = None
    __parent__ = None

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

    def for_unit(self, unit_code: str) -> list[Account]:
        return [self[login] for login in self.by_unit.get(unit_code, ()) if login in self]

    def active_for_unit(self, unit_code: str) -> Account | None:
        for account in self.for_unit(unit_code):
            if account.status in (ACTIVE, PENDING):
                return account
        return None


def find_account(request, login: str) -> Account | None:
    from ..resources.root import get_app_root

    accounts = get_app_root(request).get("accounts")
    return accounts.get(login) if accounts is not None else None
