"""The shell's page directives (menus, banners, document links) and honest 'coming' pages.

The public pages Q&A, 操作文件下載 and 線上諮詢 are the content concern's (``content.views``);
concerns list their generated downloads there with ``config.add_document_link``.
"""
from __future__ import annotations

from ..resources import PortalRoot


def add_document_link(config, label: str, name: str, description: str = ""):
    """Config directive: list a download (a view name on the root) on 操作文件下載."""
    config.registry.__dict__.setdefault("cgs_document_links", []).append((label, name, description))


def document_links(request):
    links = request.registry.__dict__.get("cgs_document_links", [])
    return [
        (label, request.resource_url(request.root, name), description)
        for label, name, description in links
    ]


# Pages of the guides' menus whose feature is not built yet: (name, title, permission, what).
COMING: dict[str, tuple[str, str, str]] = {
}


def coming_view(title, what):
    def view(request):
        return {"page_title": title, "what": what}

    return view


def includeme(config):
    from .layout import add_layout_banner, add_role_menu_item

    config.add_directive("add_role_menu_item", add_role_menu_item)
    config.add_directive("add_layout_banner", add_layout_banner)
    config.add_directive("add_document_link", add_document_link)
    for name, (title, permission, what) in COMING.items():
        config.add_view(
            coming_view(title, what),
            context=PortalRoot,
            name=name,
            renderer="cgs_portal:templates/site/coming.pt",
            permission=permission,
        )
