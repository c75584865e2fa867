"""Content the back office edits: announcements, Q&A, documents, 線上諮詢, template schedule.

``models`` (the stores), ``versions`` (which template version is in force from which
semester), ``actions`` (a change, its audit entry and its mail), ``schemas``, ``evolve``
(concern ``content``), ``views/`` (public pages and 內容管理).
"""


def includeme(config):
    config.include(".evolve")
    config.include(".views")
    config.add_role_menu_item("admin", "content", "內容管理")
    config.add_role_menu_item("admin", "consult-desk", "線上諮詢回覆")
    config.add_role_menu_item("helpdesk", "consult-desk", "線上諮詢回覆")
