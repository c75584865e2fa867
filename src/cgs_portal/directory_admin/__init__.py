"""單位名錄 in the back office: search, view, add, edit, close/reopen units, and the Ministry
directory CSV previewed then confirmed. Rules in ``units`` (no web), pages in ``views``."""


def includeme(config):
    config.include(".evolve")
    config.scan(".views")
    config.add_role_menu_item("admin", "units", "單位名錄")
