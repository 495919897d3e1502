"""The counter screens: login, the day, search, client profile, bill, receipt, a package's life."""
from django.urls import path

from glowpos.frontdesk import views

app_name = "frontdesk"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("search", views.search, name="search"),
    path("clients/new", views.client_new, name="client_new"),
    path("clients/<int:client_id>/", views.client, name="client"),
    path("clients/<int:client_id>/redeem", views.redeem, name="redeem"),
    path("clients/<int:client_id>/bill", views.start_bill, name="start_bill"),
    path("bills/<int:bill_id>/", views.bill, name="bill"),
    path("bills/<int:bill_id>/lines", views.add_line, name="add_line"),
    path("bills/<int:bill_id>/lines/<int:line_id>/remove", views.remove_line, name="remove_line"),
    path("bills/<int:bill_id>/lines/<int:line_id>/practitioner", views.line_practitioner,
         name="line_practitioner"),
    path("bills/<int:bill_id>/close", views.close, name="close"),
    path("bills/<int:bill_id>/void", views.void, name="void"),
    path("bills/<int:bill_id>/receipt", views.receipt, name="receipt"),
    path("bills/<int:bill_id>/receipt/send", views.send_receipt, name="send_receipt"),
    path("packages/<int:package_id>/", views.package, name="package"),
    path("packages/<int:package_id>/<slug:action>", views.package_action, name="package_action"),
]
