from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "glowpos.billing"
    label = "billing"
