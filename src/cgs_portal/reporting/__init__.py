"""工作填報: the monthly filing workflow, its rules, the upload intake and its pages."""

def includeme(config):
    settings = config.get_settings()
    settings.setdefault("cgs.amendment_days", "14")
    config.include(".evolve")
    config.add_role_menu_item("admin", "amendments", "申請修改審核")
    from .views.banner import home_banner
    from .views.templates import add_template_views

    config.add_layout_banner(home_banner)
    add_template_views(config)  # the template downloads and their 填報說明 document links
    config.scan(".views")
