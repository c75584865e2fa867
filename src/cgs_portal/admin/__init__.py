"""The back office: reporting rates from nation to unit (``rates``), the workflow desk
(``desk``: administrators setting a month's state, bulk actions with a preview), deadline
extensions (``extensions``), its evolve steps and ``views/``."""


def includeme(config):
    config.include(".evolve")
    config.add_role_menu_item("admin", "rates", "填報率")
    config.add_role_menu_item("admin", "desk", "填報狀態管理")
    config.add_role_menu_item("county", "my-county", "本縣市填報率")
    config.scan(".views")
