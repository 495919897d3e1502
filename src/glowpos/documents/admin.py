from django.contrib import admin

from glowpos.documents.models import Document, DocumentSeries


class ReadOnly(admin.ModelAdmin):
    """Rows nobody edits by hand: issued documents and their series (corrections are credit
    notes), the ledger (reversing entries) and the audit log."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnly):
    list_display = ("number", "kind", "date", "total", "client", "branch")
    list_filter = ("kind", "branch")
    search_fields = ("number",)


@admin.register(DocumentSeries)
class DocumentSeriesAdmin(ReadOnly):
    list_display = ("prefix", "fy", "kind", "last_number", "branch")
