"""Small builders for tests: a clinic with a catalog, clients, sold packages, API clients."""
from __future__ import annotations

import itertools
import secrets
import json
from dataclasses import dataclass

from django.test import Client as HttpClient

from glowpos.billing import services as billing
from glowpos.catalog.models import PackagePlan, Service
from glowpos.clients.models import Client
from glowpos.clients.services import create_client
from glowpos.demo.setup import create_business
from glowpos.packages.models import ClientPackage
from glowpos.tenancy.models import Business, Role, StaffMember

PASSWORD = "test-password-1"
_seq = itertools.count(1)
_run = secrets.token_hex(3)  # usernames stay unique when builders run twice on one database (bench)


@dataclass
class Clinic:
    business: Business
    front_desk: StaffMember
    manager: StaffMember
    owner: StaffMember
    practitioner: StaffMember

    def service(self, name: str = "Laser hair reduction") -> Service:
        return Service.objects.get(business=self.business, name=name)

    def plan(self, code: str = "LHR-6") -> PackagePlan:
        return PackagePlan.objects.get(business=self.business, code=code)


def clinic(name: str | None = None) -> Clinic:
    """A business with one Karnataka branch (BLR1), four staff, the demo catalog and tax rates."""
    n = next(_seq)
    business = create_business(
        name=name or f"Clinic {n}", branch_code="BLR1", branch_name="Indiranagar", address="12 100 Feet Rd",
        state_code="29", state_name="Karnataka", pan="AABCG1234H",
        usernames={Role.FRONT_DESK: f"desk{n}{_run}", Role.MANAGER: f"manager{n}{_run}",
                   Role.OWNER: f"owner{n}{_run}", Role.PRACTITIONER: f"practitioner{n}{_run}"},
        password=PASSWORD,
    )
    staff = {s.role: s for s in StaffMember.objects.filter(business=business)}
    return Clinic(business, staff[Role.FRONT_DESK], staff[Role.MANAGER], staff[Role.OWNER],
                  staff[Role.PRACTITIONER])


def client(c: Clinic, *, name: str = "Priya Sharma", phone: str | None = None) -> Client:
    phone = phone or f"98{next(_seq):08d}"
    return create_client(by=c.front_desk, name=name, phone=phone)


def sold_package(c: Clinic, who: Client, *, plan: str = "LHR-6", method: str = "upi") -> ClientPackage:
    """Sell a package through a real bill and close; returns the client's new package."""
    bill = billing.open_bill(client_id=who.id, by=c.front_desk)
    billing.add_package_sale(bill_id=bill.id, plan_id=c.plan(plan).id, by=c.front_desk)
    due = billing.bill_totals(bill).total
    billing.close_bill(bill_id=bill.id, payments=[{"method": method, "amount": due}],
                       idempotency_key=f"sale-{bill.id}", by=c.front_desk)
    return ClientPackage.objects.get(sale_bill=bill)


class Api:
    """JSON over the Django test client, with the bearer token from POST /auth/token."""

    def __init__(self, token: str | None):
        self.http = HttpClient()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, body=None, headers=None):
        kwargs = {"headers": {**self.headers, **(headers or {})}}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.http, method)(f"/api/v1{path}", **kwargs)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, body=None, **kw):
        return self._call("post", path, body if body is not None else {}, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)


def api_client(staff: StaffMember) -> Api:
    response = Api(None).post("/auth/token", {"username": staff.user.username, "password": PASSWORD})
    assert response.status_code == 201, response.content
    return Api(response.json()["token"])
