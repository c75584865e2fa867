"""稽催: the monthly reminder and escalation calendar (day 1, day 11, day 16).

``steps`` is the pure calendar, ``plan`` who gets what on a date, ``run`` the exactly-once
run behind ``cgs-remind``, ``mails`` the editable texts, ``sheets`` the .xlsx lists, and
``views/`` the pages (稽催紀錄, closures, mail texts, the national and county lists).
"""


def includeme(config):
    config.include(".evolve")
    from .views.banner import reminded_banner

    config.add_layout_banner(reminded_banner)
    config.add_role_menu_item("admin", "reminders", "稽催紀錄")
    config.add_role_menu_item("admin", "reminders-missing", "未完成填報名單")
    config.add_role_menu_item("admin", "reminders-closures", "停班停課及補行上班")
    config.add_role_menu_item("admin", "reminders-mails", "稽催信件內容")
    config.add_role_menu_item("county", "county-reminders", "轄內稽催狀況")
    config.scan(".views")
