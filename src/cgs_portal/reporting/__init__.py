"""工作填報: the monthly filing workflow, its rules, the upload intake and its pages."""

def includeme(config):
    settings = config.get_settings()
    settings.setdefault("cgs.amendment_days", "14")
    from .service import clean_spool, default_spool_dir

    # Uploads are spooled into the portal's own folder (never the system temp folder),
    # emptied at start-up of what killed processes left there.
    settings["cgs.spool_dir"] = settings.get("cgs.spool_dir") or default_spool_dir(settings)
    clean_spool(settings["cgs.spool_dir"])
    config.include(".evolve")
    config.add_role_menu_item("admin", "amendments", "申請修改審核")
    from .views.banner import home_banner
    from .views.templates import add_template_views

    config.add_layout_banner(home_banner)
    add_template_views(config)  # the template downloads and their 填報說明 document links
    config.scan(".views")
