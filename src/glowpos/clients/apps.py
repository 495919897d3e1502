from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "glowpos.clients"
    label = "clients"
