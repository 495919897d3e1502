"""The import screens, for owners and managers: /manage/import/…"""
from django.urls import path

from glowpos.onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("template.xlsx", views.template, {"fmt": "xlsx"}, name="template_xlsx"),
    path("template.csv", views.template, {"fmt": "csv"}, name="template_csv"),
    path("preview/<str:sha>/", views.preview, name="preview"),
    path("preview/<str:sha>/problems.csv", views.problems_csv, name="problems_csv"),
    path("preview/<str:sha>/import", views.commit, name="commit"),
    path("batches/<int:batch_id>/", views.batch, name="batch"),
    path("batches/<int:batch_id>/problems.csv", views.batch_problems_csv, name="batch_problems_csv"),
]
