from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "glowpos.catalog"
    label = "catalog"
