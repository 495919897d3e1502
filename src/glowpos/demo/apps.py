from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "glowpos.demo"
    label = "demo"
