from django.apps import AppConfig


class FrontdeskConfig(AppConfig):
    name = "glowpos.frontdesk"
    label = "frontdesk"
