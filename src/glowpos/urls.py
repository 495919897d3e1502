from django.contrib import admin
from django.urls import include, path

from glowpos.api.v1 import api
from glowpos.receipts import views as receipts

urlpatterns = [
    path("api/v1/", api.urls),
    path("r/<str:token>.pdf", receipts.receipt_pdf, name="receipt-pdf"),  # before: <str> eats ".pdf"
    path("r/<str:token>", receipts.receipt, name="receipt"),
    path("admin/", admin.site.urls),
    path("reports/", include("glowpos.reports.urls")),
    path("manage/import/", include("glowpos.onboarding.urls")),
    path("manage/outbox/", include("glowpos.receipts.urls")),
    path("", include("glowpos.frontdesk.urls")),
]
