from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "glowpos.audit"
    label = "audit"
    verbose_name = "Audit log"
