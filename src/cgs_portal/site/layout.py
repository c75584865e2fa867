"""What every page's layout needs: the account, the menus, flash messages."""
from __future__ import annotations

from pyramid.events import BeforeRender, subscriber

from .. import calendar, contacts

# (view name, label) — the top menu before login, as in the guides.
LOGIN_MENU = [
    ("login", "登入系統"),
    ("register", "新建帳號"),
    ("lookup", "帳號查詢"),
    ("forgot-password", "忘記密碼"),
    ("change-email", "變更信箱"),
]
PUBLIC_MENU = [("documents", "操作文件下載"), ("faq", "Q&A"), ("contact", "線上諮詢")]
MEMBER_MENU = [
    ("filing", "工作填報"),
    ("records", "資料查詢"),
    ("account", "帳號管理"),
    ("helper", "填報幫手"),
    ("contact", "線上諮詢"),
    ("change-password", "修改密碼"),
]
# The entries of MEMBER_MENU only some roles may use (every other role would be refused on
# click, so it is not shown them): 填報幫手 is the tools of a unit's own filing account.
MEMBER_MENU_ROLES = {"helper": ("unit",)}


def member_menu_for(role: str | None) -> list[tuple[str, str]]:
    """The (view name, label) entries of MEMBER_MENU that ``role`` may use."""
    return [(name, label) for name, label in MEMBER_MENU
            if name not in MEMBER_MENU_ROLES or role in MEMBER_MENU_ROLES[name]]


def add_role_menu_item(config, role: str, name: str, label: str):
    """Config directive: a menu entry (view name on the root) shown only to ``role``."""
    menus = config.registry.__dict__.setdefault("cgs_role_menus", {})
    menus.setdefault(role, []).append((name, label))


def add_layout_banner(config, provider):
    """Config directive: ``provider(request)`` returns a banner's HTML for the home page, or None.

    Concerns contribute what a logged-in user should see first (reporting: missing months)
    without ``site`` knowing about them; banners show in registration order.
    """
    config.registry.__dict__.setdefault("cgs_layout_banners", []).append(provider)


class Layout:
    def __init__(self, request):
        self.request = request
        self.account = request.identity
        self.site_title = contacts.SITE_NAME
        self.helpdesk_phone = contacts.HELPDESK_PHONE

    def url(self, name, *elements, **kw):
        root = self.request.root
        return self.request.resource_url(root, name, *elements, **kw)

    @property
    def static(self):
        return self.request.static_url("cgs_portal:static/")

    def deform_static(self, path):
        return self.request.static_url("deform:static/" + path)

    @property
    def login_menu(self):
        return [(self.url(name), label, name) for name, label in LOGIN_MENU]

    @property
    def public_menu(self):
        return [(self.url(name), label, name) for name, label in PUBLIC_MENU]

    @property
    def member_menu(self):
        role = getattr(self.account, "role", None)
        return [(self.url(name), label, name) for name, label in member_menu_for(role)]

    @property
    def role_menu(self):
        """The back-office entries of the logged-in account's role (registered by concerns)."""
        if self.account is None:
            return []
        menus = self.request.registry.__dict__.get("cgs_role_menus", {})
        return [(self.url(name), label, name) for name, label in menus.get(self.account.role, [])]

    @property
    def banners(self) -> list[str]:
        """The HTML of every banner a provider has for this request (see ``add_layout_banner``)."""
        providers = self.request.registry.__dict__.get("cgs_layout_banners", [])
        return [html for html in (provider(self.request) for provider in providers) if html]

    @property
    def current_view(self):
        return self.request.view_name

    @property
    def display_login(self):
        account = self.account
        if account is None:
            return ""
        return account.unit_code or account.login

    def flashes(self):
        return self.request.session.pop_flash("info") if hasattr(self.request, "session") else []

    def errors(self):
        return self.request.session.pop_flash("error") if hasattr(self.request, "session") else []

    @property
    def csrf_token(self):
        from pyramid.csrf import get_csrf_token

        return get_csrf_token(self.request)

    roc_date = staticmethod(calendar.roc_date)
    roc_datetime = staticmethod(calendar.roc_datetime)


@subscriber(BeforeRender)
def add_layout(event):
    request = event.get("request")
    if request is not None and "layout" not in event:
        event["layout"] = Layout(request)
