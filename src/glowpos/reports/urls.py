"""The report screens under /reports/: one screen per report, its CSV and XLSX, and the
accountant's exports."""
from django.urls import path, re_path

from glowpos.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("exports/", views.exports_page, name="exports"),
    re_path(r"^exports/(?P<name>journal\.csv|tally\.xml|tally-ledgers\.xml|ledger\.beancount|gstr1\.json"
            r"|reports\.xlsx)$", views.export_file, name="export"),
    re_path(r"^(?P<slug>[a-z-]+)\.(?P<fmt>csv|xlsx)$", views.download, name="download"),
    path("<slug:slug>/", views.report, name="report"),
]
