from django.contrib import admin

from glowpos.documents.admin import ReadOnly
from glowpos.ledger.models import Account, JournalEntry, Posting


class PostingInline(admin.TabularInline):
    model = Posting
    can_delete = False
    readonly_fields = ("account", "date", "amount")
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnly):
    list_display = ("id", "date", "kind", "memo", "business")
    list_filter = ("kind", "business")
    inlines = [PostingInline]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "type", "business")
    list_filter = ("business", "type")
