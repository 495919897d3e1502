from django.contrib import admin

from glowpos.clients.models import Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "email", "gstin", "business")
    search_fields = ("name", "phone")
    list_filter = ("business",)
    readonly_fields = ("phone_reversed",)
