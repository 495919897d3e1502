from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "glowpos.tenancy"
    label = "tenancy"
