"""pshell set-up: ``root`` is the portal root, ``tm`` the request's transaction manager."""
from pyramid_zodbconn import get_connection


def setup(env):
    request = env["request"]
    request.tm.begin()
    env["tm"] = request.tm
    env["root"] = get_connection(request).root()["cgs_portal"]
