"""The 5-digit image captcha of the login page (images by the ``captcha`` library).

The code lives in the (signed, not encrypted) session cookie only as an HMAC
under the server secret, so the client cannot read it back out of the cookie.
A code is single use: every image view makes a new one and every check ends it.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from captcha.image import ImageCaptcha
from pyramid.response import Response
from pyramid.view import view_config

from ..resources import PortalRoot
from ..security import Perm

SESSION_KEY = "cgs.captcha"
_image = ImageCaptcha(width=160, height=60)


def _digest(request, code: str) -> str:
    secret = request.registry.settings["cgs.session_secret"].encode()
    return hmac.new(secret, b"captcha:" + code.encode(), hashlib.sha256).hexdigest()


def new_code(request) -> str:
    code = "".join(secrets.choice("0123456789") for _ in range(5))
    request.session[SESSION_KEY] = _digest(request, code)
    if request.registry.settings.get("cgs.testing") in ("true", True):
        request.session["cgs.captcha.test"] = code
    return code


def check_code(request, answer: str) -> bool:
    """True when ``answer`` is the current code; the code is used up either way."""
    expected = request.session.pop(SESSION_KEY, None)
    request.session.pop("cgs.captcha.test", None)
    answer = (answer or "").strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not expected or not answer.isdigit():
        return False
    return hmac.compare_digest(expected, _digest(request, answer))


@view_config(context=PortalRoot, name="captcha.png", permission=Perm.SITE_VIEW, http_cache=0)
def captcha_image(request):
    code = new_code(request)
    data = _image.generate(code, format="png").getvalue()
    response = Response(body=data, content_type="image/png")
    response.cache_control = "no-store"
    return response


def captcha_code_for_tests(request):
    return {"code": request.session.get("cgs.captcha.test")}
