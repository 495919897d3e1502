from django.contrib import admin

from glowpos.audit.models import AuditEvent
from glowpos.documents.admin import ReadOnly


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnly):
    list_display = ("at", "business", "staff", "action", "object_type", "object_id")
    list_filter = ("business", "action")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
