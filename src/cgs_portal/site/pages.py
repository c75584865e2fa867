"""The shell's page directives (menus, banners, document links).

The public pages Q&A, 操作文件下載 and 線上諮詢 are the content concern's (``content.views``);
concerns list their generated downloads there with ``config.add_document_link``.
"""
from __future__ import annotations


def add_document_link(config, label: str, name: str, description: str = ""):
    """Config directive: list a download (a view name on the root) on 操作文件下載."""
    config.registry.__dict__.setdefault("cgs_document_links", []).append((label, name, description))


def document_links(request):
    links = request.registry.__dict__.get("cgs_document_links", [])
    return [
        (label, request.resource_url(request.root, name), description)
        for label, name, description in links
    ]


def includeme(config):
    from .layout import add_layout_banner, add_role_menu_item

    config.add_directive("add_role_menu_item", add_role_menu_item)
    config.add_directive("add_layout_banner", add_layout_banner)
    config.add_directive("add_document_link", add_document_link)
