from django.contrib import admin

from glowpos.tenancy.models import Branch, Business, StaffMember


class BranchInline(admin.StackedInline):
    model = Branch
    extra = 0


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ("name", "legal_name", "round_off_to_rupee")
    inlines = [BranchInline]


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "business")
    list_filter = ("business", "role")
