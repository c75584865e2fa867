"""The site shell: layout, public pages, error pages, security headers."""


def includeme(config):
    config.scan(".")
    config.include(".pages")
    config.include(".evolve")
    config.include(".errors")
