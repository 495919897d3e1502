from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "glowpos.reports"
    label = "reports"
