"""The second factor: TOTP codes (RFC 6238, ``pyotp``), recovery codes, the half-logged-in session.

* **Who.** County officials, national administrators and the helpdesk must use it
  (:data:`REQUIRED_ROLES`); unit accounts may turn it on from 帳號管理.
* **Enrolment** shows a QR code (``segno``, inline SVG: no style attribute, so the CSP holds)
  and ten recovery codes. Both are *derived* from the server secret, the login and a random
  nonce kept in the signed session cookie, so the GET that shows them writes nothing and
  the cookie never holds the secret itself; the POST with a correct code stores the secret
  and the recovery codes' argon2 hashes on the account.
* **Replay.** A code is accepted only for a time step after the last accepted one
  (``Account.totp_last_step``), within one step of drift either way.
* **Rate limit.** Wrong codes count like wrong passwords (``throttle``): 5 per login (key
  ``factor:<login>``, not cleared by a right password) or per address lock for 15 minutes.
* **Half-logged-in.** After the password, the session holds only :data:`PENDING_KEY` (login,
  time, where to go): no identity, so it grants nothing but the public pages and the factor
  pages; it lasts :data:`PENDING_SECONDS`. A completed login marks the session
  (:data:`FACTOR_KEY`); the security policy refuses a session of a factor account without it.

TOTP runs on the real clock (``clock.wall_seconds``), never on the portal's pinnable date
clock: the user's phone does not follow ``cgs.clock.now``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import secrets

import pyotp
import segno
from persistent.list import PersistentList

from ..clock import wall_seconds
from . import throttle
from .models import FACTOR_ROLES, find_account

REQUIRED_ROLES = FACTOR_ROLES
ISSUER = "輔導工作成果填報系統"
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
PENDING_KEY = "cgs.mfa"
FACTOR_KEY = "cgs.factor"
ENROL_KEY = "cgs.enrol"
PENDING_SECONDS = 600  # password ok → code (or enrolment) within ten minutes
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
RECOVERY_PATTERN = re.compile(r"^[a-z2-9]{5}-?[a-z2-9]{5}$")
CODE_PATTERN = re.compile(r"^\d{6}$")


def required_for(account) -> bool:
    return account.role in REQUIRED_ROLES


def in_use(account) -> bool:
    """True when logging in to ``account`` takes a second step (enrolled, or must enrol)."""
    return required_for(account) or account.totp_secret is not None


# time -------------------------------------------------------------------------------
def factor_seconds(request) -> float:
    """The real time, plus the offset only the test hook moves (``cgs.testing``)."""
    return wall_seconds() + getattr(request.registry, "cgs_factor_offset", 0)


def current_step(request) -> int:
    return int(factor_seconds(request) // STEP_SECONDS)


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).at(step * STEP_SECONDS)


def matching_step(secret: str, code: str, now_step: int, after: int | None) -> int | None:
    """The time step (within the drift, after ``after``) whose code is ``code``, or None."""
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


# enrolment ------------------------------------------------------------------------------
def _derive(request, login: str, nonce: str, purpose: str) -> bytes:
    key = request.registry.settings["cgs.session_secret"].encode()
    return hmac.new(key, f"factor:{purpose}:{login}:{nonce}".encode(), hashlib.sha256).digest()


def enrol_secret(request, login: str, nonce: str) -> str:
    """The base32 TOTP secret an enrolment offers (160 bits)."""
    return base64.b32encode(_derive(request, login, nonce, "totp")[:20]).decode()


def recovery_codes(request, login: str, nonce: str) -> list[str]:
    """The ten recovery codes an enrolment (or a renewal) offers, as ``xxxxx-xxxxx``."""
    codes = []
    for index in range(RECOVERY_CODES):
        raw = _derive(request, login, nonce, f"recovery:{index}")
        chars = "".join(RECOVERY_ALPHABET[b % len(RECOVERY_ALPHABET)] for b in raw[:10])
        codes.append(f"{chars[:5]}-{chars[5:]}")
    return codes


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def provisioning_uri(secret: str, login: str) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=login, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG markup (no style attribute, labelled for screen readers)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", xmldecl=False, svgns=True, nl=False, scale=4,
                                     border=4, svgclass="factor-qr", title="兩步驟驗證設定 QR Code")
    svg = out.getvalue().decode()
    return svg.replace("<svg ", '<svg role="img" aria-label="兩步驟驗證設定 QR Code" ', 1)


def group(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def enrol(account, secret: str, codes: list[str], step: int, now) -> None:
    """Store the verified secret and the recovery codes' hashes on ``account``."""
    from .passwords import hash_password

    account.totp_secret = secret
    account.totp_last_step = step
    account.factor_enrolled_at = now
    account.recovery_hashes = PersistentList(hash_password(normal_recovery(c)) for c in codes)


def renew_recovery_codes(account, codes: list[str]) -> None:
    from .passwords import hash_password

    account.recovery_hashes = PersistentList(hash_password(normal_recovery(c)) for c in codes)


def remove(account) -> None:
    """Drop the factor: the account enrols again at its next login (if it must)."""
    account.totp_secret = None
    account.totp_last_step = None
    account.factor_enrolled_at = None
    account.recovery_hashes = ()


def normal_recovery(code: str) -> str:
    return code.strip().lower().replace(" ", "").replace("-", "")


def normal_code(text: str) -> str:
    return (text or "").strip().replace(" ", "").translate(str.maketrans("０１２３４５６７８９", "0123456789"))


# checking a code ---------------------------------------------------------------------------
def factor_keys(request, login: str) -> list[str]:
    return [throttle.bounded_key("factor", login), throttle.bounded_key("ip", throttle.client_address(request))]


def locked_until(request, root, login: str):
    return throttle.locked_until(root, factor_keys(request, login), request.clock.now())


def failed(request, root, login: str) -> bool:
    """Count a wrong code like a wrong password; True when it started a lockout."""
    return throttle.record_failure(root, factor_keys(request, login), request.clock.now())


def succeeded(root, login: str) -> None:
    throttle.clear(root, [throttle.bounded_key("factor", login)])


def verify(request, account, text: str) -> str | None:
    """Check a TOTP or recovery code against ``account``: what was used ("totp" / "recovery"),
    or None. A TOTP step is used up; a recovery code is struck off."""
    code = normal_code(text)
    if CODE_PATTERN.match(code) and account.totp_secret:
        step = matching_step(account.totp_secret, code, current_step(request), account.totp_last_step)
        if step is not None:
            account.totp_last_step = step
            return "totp"
        return None
    recovery = normal_recovery(code)
    if RECOVERY_PATTERN.match(recovery) and account.recovery_hashes:
        from .passwords import verify_password

        for index, stored in enumerate(account.recovery_hashes):
            if verify_password(stored, recovery):
                hashes = list(account.recovery_hashes)
                del hashes[index]
                account.recovery_hashes = PersistentList(hashes)
                return "recovery"
    return None


# the half-logged-in session ---------------------------------------------------------------
def start_pending(request, account, came_from) -> None:
    """Password proven: a fresh session that names the login and nothing else."""
    request.session.invalidate()
    pending = {"login": account.login, "at": int(wall_seconds()), "came_from": (came_from or "")[:500]}
    if account.totp_secret is None:
        pending["nonce"] = new_nonce()
    request.session[PENDING_KEY] = pending


def pending(request) -> dict | None:
    """The half-logged-in session's record, if still fresh."""
    record = request.session.get(PENDING_KEY)
    if not isinstance(record, dict) or not isinstance(record.get("at"), int):
        return None
    if not isinstance(record.get("login"), str) or wall_seconds() - record["at"] > PENDING_SECONDS:
        return None
    return record


def drop_pending(request) -> None:
    request.session.pop(PENDING_KEY, None)


def code_for_tests(request):
    """Test-only hook (``cgs.testing``): a valid code for the half-logged-in (or enrolling)
    account. If the current step was used already, the factor clock is moved on (memory only),
    so a test can log the same official in several times within 30 seconds."""
    record = pending(request)
    enrolling = request.session.get(ENROL_KEY)
    login = record["login"] if record else (request.identity.login if request.identity else None)
    account = find_account(request, login) if login else None
    if account is None:
        return {"code": None}
    if record and record.get("nonce"):
        secret, last = enrol_secret(request, login, record["nonce"]), None
    elif isinstance(enrolling, str) and not record and account.totp_secret is None:
        secret, last = enrol_secret(request, login, enrolling), None
    else:
        secret, last = account.totp_secret, account.totp_last_step
    if secret is None:
        return {"code": None}
    step = current_step(request)
    if last is not None and step <= last:
        registry = request.registry
        registry.cgs_factor_offset = getattr(registry, "cgs_factor_offset", 0) + (last + 1 - step) * STEP_SECONDS
        step = last + 1
    return {"code": code_at(secret, step)}
