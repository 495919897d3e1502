"""Front desk screens (HTMX). Owned by the front desk issue."""
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/api/v1/docs", permanent=False), name="home"),
]
