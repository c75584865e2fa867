"""填報幫手: carry last month's open cases forward, merge the teachers' files, check a file
without filing it, look a code up. Pages for unit accounts only (see ``views``)."""


def includeme(config):
    from ..reporting.service import default_spool_dir
    from .service import clean_temporary

    settings = config.get_settings()
    clean_temporary(settings.get("cgs.spool_dir") or default_spool_dir(settings))
    config.scan(".views")
