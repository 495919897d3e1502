from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "glowpos.ledger"
    label = "ledger"
