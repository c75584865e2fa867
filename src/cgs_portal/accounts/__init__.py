"""Accounts: the Account resource, passwords, login and every account flow."""


def includeme(config):
    config.include(".outbox")
    config.add_role_menu_item("helpdesk", "account-reset", "帳號重置")
    config.add_role_menu_item("admin", "account-reset", "帳號重置")
    config.add_role_menu_item("admin", "officials", "建立帳號")
    config.add_role_menu_item("admin", "audit-log", "稽核紀錄")
    config.scan(".")
