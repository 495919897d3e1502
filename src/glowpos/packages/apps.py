from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "glowpos.packages"
    label = "packages"
