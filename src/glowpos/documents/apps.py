from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "glowpos.documents"
    label = "documents"
