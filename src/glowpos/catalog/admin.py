from django.contrib import admin

from glowpos.catalog.models import PackagePlan, PackagePlanItem, Product, Service, TaxRate


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ("code", "description", "rate_bp", "exempt", "effective_from", "business")
    list_filter = ("business", "code")
    ordering = ("business", "code", "effective_from")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "sac", "price", "min_interval_days", "active", "business")
    list_filter = ("business", "active")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "hsn", "price", "active", "business")


class PlanItemInline(admin.TabularInline):
    model = PackagePlanItem
    extra = 1


@admin.register(PackagePlan)
class PackagePlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "price", "validity_days", "active", "business")
    inlines = [PlanItemInline]
