"""Small builders for tests: a clinic with a catalog, clients, sold packages, API clients."""
from __future__ import annotations

import itertools
import secrets
import json
from dataclasses import dataclass

from django.test import Client as HttpClient

from glowpos.billing import services as billing
from glowpos.billing.models import Bill
from glowpos.catalog.models import PackagePlan, Product, Service
from glowpos.clients.models import Client
from glowpos.clients.services import create_client
from glowpos.demo.setup import create_business
from glowpos.packages.models import ClientPackage
from glowpos.packages.services import apply_package
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

    def product(self, name: str = "Sunscreen SPF 50") -> Product:
        return Product.objects.get(business=self.business, name=name)


def clinic(name: str | None = None, *, branch_code: str = "BLR1") -> Clinic:
    """A business with one Karnataka branch (BLR1 unless `branch_code`), four staff, the demo
    catalog and tax rates."""
    n = next(_seq)
    business = create_business(
        name=name or f"Clinic {n}", branch_code=branch_code, branch_name="Indiranagar", address="12 100 Feet Rd",
        state_code="29", state_name="Karnataka", pan="AABCG1234H",
        usernames={Role.FRONT_DESK: f"desk{n}{_run}", Role.MANAGER: f"manager{n}{_run}",
                   Role.OWNER: f"owner{n}{_run}", Role.PRACTITIONER: f"practitioner{n}{_run}"},
        password=PASSWORD,
    )
    # Back-to-back sessions in tests: the minimum interval is set by the tests about it.
    Service.objects.filter(business=business).update(min_interval_days=0)
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


# Builders over HTTP, for the API tests: the same calls the counter makes.

def api_bill(api: Api, who: Client, *lines: dict) -> dict:
    """Open a bill for `who` through POST /bills, add each line; returns the bill's JSON."""
    response = api.post("/bills", {"client_id": who.id})
    assert response.status_code == 201, response.content
    bill = response.json()
    for line in lines:
        response = api.post(f"/bills/{bill['id']}/lines", line)
        assert response.status_code == 201, response.content
        bill = response.json()
    return bill


def api_close(api: Api, bill_id: int, payments: list[dict] | None = None, *, key: str | None = None):
    """POST /bills/{id}/close with a fresh Idempotency-Key unless one is given; returns the response."""
    key = key or f"close-{bill_id}-{next(_seq)}"
    return api.post(f"/bills/{bill_id}/close", {"payments": payments or []}, headers={"Idempotency-Key": key})


def api_closed(api: Api, who: Client, *lines: dict, method: str = "upi") -> dict:
    """A bill with these lines, closed and paid in full by one method; returns the close response JSON."""
    bill = api_bill(api, who, *lines)
    due = bill["amount_due"]
    response = api_close(api, bill["id"], [{"method": method, "amount": due}] if due else [])
    assert response.status_code == 200, response.content
    return response.json()


def service_line(service: Service, quantity: int = 1) -> dict:
    return {"type": "service", "service_id": service.id, "quantity": quantity}


def redemption_line(package: ClientPackage, service: Service) -> dict:
    return {"type": "redemption", "package_id": package.id, "service_id": service.id}


# Builders through the services, for the core tests.

def open_bill(c: Clinic, who: Client, *lines: tuple[str, object]) -> Bill:
    """An open bill for `who` with ("service", Service) / ("product", Product) /
    ("package_sale", PackagePlan) / ("redemption", ClientPackage) lines."""
    bill = billing.open_bill(client_id=who.id, by=c.front_desk)
    for kind, thing in lines:
        if kind == "service":
            billing.add_service(bill_id=bill.id, service_id=thing.id, by=c.front_desk)
        elif kind == "product":
            billing.add_product(bill_id=bill.id, product_id=thing.id, by=c.front_desk)
        elif kind == "package_sale":
            billing.add_package_sale(bill_id=bill.id, plan_id=thing.id, by=c.front_desk)
        else:
            hold(c, bill, thing)
    return bill


def package_service(package: ClientPackage) -> Service:
    return package.entitlements.order_by("id").first().service


def hold(c: Clinic, bill: Bill, package: ClientPackage):
    """Apply the package to the open bill: one unit of its (first) service held."""
    return apply_package(bill_id=bill.id, package_id=package.id, service_id=package_service(package).id,
                         by=c.front_desk)


def payment_due(bill: Bill, method: str = "cash") -> list[dict]:
    due = billing.bill_totals(Bill.objects.get(id=bill.id)).total
    return [{"method": method, "amount": due}] if due else []


def close_paid(c: Clinic, bill: Bill, *, key: str | None = None, method: str = "cash"):
    """Close the bill paying exactly what is due; returns billing.Closed."""
    return billing.close_bill(bill_id=bill.id, payments=payment_due(bill, method),
                              idempotency_key=key or f"close-{bill.id}", by=c.front_desk)


def redeem(c: Clinic, package: ClientPackage):
    """A visit paid wholly from the package: open, apply, close. Returns billing.Closed."""
    return close_paid(c, open_bill(c, package.client, ("redemption", package)))


def redeem_until(c: Clinic, package: ClientPackage, *, remaining: int) -> None:
    entitlement = package.entitlements.order_by("id").first()
    for _ in range(entitlement.total_units - entitlement.used_units - entitlement.held_units - remaining):
        redeem(c, package)
