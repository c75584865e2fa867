"""The 5-digit image captcha of the login and 變更信箱 pages (images by the ``captcha`` library).

Single use, short-lived, and no database write on the image GET:

* the image view puts ``(id, issued at, HMAC of id + time + code)`` in the signed session
  cookie — the client can neither read the code out of it nor change the id or the time;
* the POST that checks an answer records the id as *used* in ``root.captcha_used``
  (created by an evolve step), whatever the answer, so replaying an old cookie does not
  bring a solved captcha back;
* a captcha older than :data:`LIFETIME` is refused, so the used ids need keeping only that
  long: expired ids are dropped as new ones are recorded.

Logins arrive in bursts (the 10th of the month), so the store resolves concurrent writes
itself (:meth:`UsedCaptchas._p_resolveConflict`): two requests recording different ids
merge; two recording the *same* id is a real conflict, and the retry then refuses it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from captcha.image import ImageCaptcha
from persistent import Persistent
from pyramid.response import Response
from pyramid.view import view_config
from ZODB.POSException import ConflictError

from ..resources import PortalRoot
from ..resources.root import get_app_root
from ..security import Perm

SESSION_KEY = "cgs.captcha"
TEST_KEY = "cgs.captcha.test"
LIFETIME = dt.timedelta(minutes=5)
_image = ImageCaptcha(width=160, height=60)


def _digest(request, captcha_id: str, issued: int, code: str) -> str:
    secret = request.registry.settings["cgs.session_secret"].encode()
    message = f"captcha:{captcha_id}:{issued}:{code}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def new_code(request) -> str:
    """A fresh code, remembered (as an HMAC) in the session; writes nothing to the database."""
    code = "".join(secrets.choice("0123456789") for _ in range(5))
    captcha_id = secrets.token_urlsafe(12)
    issued = int(request.clock.now().timestamp())
    request.session[SESSION_KEY] = [captcha_id, issued, _digest(request, captcha_id, issued, code)]
    if request.registry.settings.get("cgs.testing") in ("true", True):
        request.session[TEST_KEY] = code
    return code


class UsedCaptchas(Persistent):
    """The ids of captchas already checked, each with its time of issue (epoch seconds)."""

    def __init__(self):
        self.ids = {}

    def use(self, captcha_id: str, issued: int, now: int) -> bool:
        """Record ``captcha_id``; False when it was used before. Drops the expired ids."""
        if captcha_id in self.ids:
            return False
        oldest = now - int(LIFETIME.total_seconds()) - 60
        ids = {key: when for key, when in self.ids.items() if when >= oldest}
        ids[captcha_id] = issued
        self.ids = ids
        return True

    def _p_resolveConflict(self, old, committed, new):
        """Merge two transactions' uses: keep both additions, apply both prunings."""
        old_ids, committed_ids, new_ids = old.get("ids", {}), committed["ids"], new["ids"]
        added = {key: when for key, when in new_ids.items() if key not in old_ids}
        if any(key in committed_ids for key in added):
            raise ConflictError  # the same captcha used twice at once: the retry refuses one
        merged = {key: when for key, when in committed_ids.items()
                  if key in new_ids or key not in old_ids}
        merged.update(added)
        return {**committed, "ids": merged}


def used_store(root) -> UsedCaptchas:
    return root.captcha_used  # created by the accounts evolve step


def _use_up(request, captcha_id: str, issued: int) -> bool:
    """Record ``captcha_id`` as used; False when it was used before."""
    now = int(request.clock.now().timestamp())
    return used_store(get_app_root(request)).use(captcha_id, issued, now)


def check_code(request, answer: str) -> bool:
    """True when ``answer`` is the session's current, unused, unexpired code; it is used up either way."""
    stored = request.session.pop(SESSION_KEY, None)
    request.session.pop(TEST_KEY, None)
    if not isinstance(stored, (list, tuple)) or len(stored) != 3:
        return False
    captcha_id, issued, expected = stored
    now = request.clock.now().timestamp()
    if not (issued - 60 <= now <= issued + LIFETIME.total_seconds()):
        return False
    if not _use_up(request, captcha_id, issued):
        return False
    answer = (answer or "").strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not answer.isdigit() or len(answer) > 10:
        return False
    return hmac.compare_digest(expected, _digest(request, captcha_id, issued, answer))


@view_config(context=PortalRoot, name="captcha.png", permission=Perm.SITE_VIEW, http_cache=0)
def captcha_image(request):
    code = new_code(request)
    data = _image.generate(code, format="png").getvalue()
    response = Response(body=data, content_type="image/png")
    response.cache_control = "no-store"
    return response


def captcha_code_for_tests(request):
    return {"code": request.session.get(TEST_KEY)}
