"""Password hashing (argon2id via argon2-cffi) and the password rules of the guides."""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import CHEAPEST as CHEAPEST_PARAMETERS  # noqa: F401 - used by the tests

_hasher = PasswordHasher()

MIN_LENGTH = 8
MAX_LENGTH = 20
HISTORY = 3  # a new password may not be one of the last three
NATIONAL_ID = re.compile(r"[A-Za-z][A-Da-d1-28-9]\d{8}")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def needs_rehash(stored_hash: str) -> bool:
    """True when a stored hash uses other parameters than the current hasher."""
    return _hasher.check_needs_rehash(stored_hash)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        # Spend the same time as a real check so timing does not tell accounts apart.
        _dummy_verify(password)
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _hasher.hash("dummy-password-for-timing")


def _dummy_verify(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("cgs_portal").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problems(
    password: str,
    *,
    unit_code: str | None = None,
    personal_id: str | None = None,
    login: str | None = None,
    history: list[str] | tuple[str, ...] = (),
) -> list[str]:
    """Every rule the password breaks, as messages in Traditional Chinese (empty = fine)."""
    problems = []
    if not (MIN_LENGTH <= len(password) <= MAX_LENGTH):
        problems.append(f"密碼長度須為 {MIN_LENGTH} 至 {MAX_LENGTH} 碼。")
    if any(ord(ch) > 126 or ord(ch) < 33 for ch in password):
        problems.append("密碼限用半形英文字母、數字及符號，不可含空白或全形文字。")
    if not re.search(r"[A-Z]", password):
        problems.append("密碼須包含至少 1 個大寫英文字母。")
    if not re.search(r"[a-z]", password):
        problems.append("密碼須包含至少 1 個小寫英文字母。")
    if not re.search(r"[0-9]", password):
        problems.append("密碼須包含至少 1 個數字。")
    lowered = password.lower()
    if unit_code and unit_code.lower() in lowered:
        problems.append("密碼不可包含學校或單位代碼。")
    if personal_id and len(personal_id) >= 3 and personal_id.lower() in lowered:
        problems.append("密碼不可包含個人帳號。")
    if login and login.lower() in lowered and not (unit_code or personal_id):
        problems.append("密碼不可包含帳號。")
    if NATIONAL_ID.search(password):
        problems.append("密碼不可包含身分證字號或類似格式（如 A123456789）。")
    if lowered in common_passwords() or _strip_digits(lowered) in common_passwords():
        problems.append("密碼過於常見、容易猜測，請換一組。")
    for old in list(history)[-HISTORY:]:
        if old and verify_password(old, password):
            problems.append(f"新密碼不可與最近 {HISTORY} 次使用過的密碼相同。")
            break
    return problems


def _strip_digits(text: str) -> str:
    return text.rstrip("0123456789!@#$%^&*.") or text

MAX_AGE_DAYS = 180  # a password older than this must be changed before anything else


def rules() -> list[str]:
    """The password rules as the forms state them, numbers from the constants that enforce them."""
    return [
        f"新密碼長度至少需要 {MIN_LENGTH} 碼，最長 {MAX_LENGTH} 碼（限半形文字）。",
        "密碼組合需要有 1 個大寫英文字母、1 個小寫英文字母、1 個數字；登入時英文大小寫須相同。",
        "不可包含學校或單位代碼、個人帳號，也不可包含身分證字號或類似格式（如 A123456789）。",
        f"不可使用常見、易猜測的密碼，也不可與最近 {HISTORY} 次使用過的密碼相同。",
    ]


def length_hint() -> str:
    return f"{MIN_LENGTH} 至 {MAX_LENGTH} 碼，至少要有 1 個大寫英文字母、1 個小寫英文字母、1 個數字"


def expired(account, now) -> bool:
    """True when ``account`` must set a new password first (told to, or older than MAX_AGE_DAYS)."""
    changed = account.password_changed_at
    return bool(account.must_change_password) or (
        changed is not None and (now - changed).days >= MAX_AGE_DAYS
    )
