"""The outbox screens: /manage/outbox/…"""
from django.urls import path

from glowpos.receipts import outbox_views as views

app_name = "outbox"

urlpatterns = [
    path("", views.outbox, name="list"),
    path("wording/", views.templates, name="templates"),
    path("<int:message_id>/retry", views.retry, name="retry"),
    path("receipts/<int:document_id>/revoke", views.revoke, name="revoke"),
]
