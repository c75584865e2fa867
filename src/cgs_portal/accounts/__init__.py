"""Accounts: the Account resource, passwords, login and every account flow."""


def includeme(config):
    config.scan(".")
