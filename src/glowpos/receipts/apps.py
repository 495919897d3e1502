from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "glowpos.receipts"
    label = "receipts"
