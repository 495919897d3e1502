"""REST API v1 (shared/API.md is the contract). Endpoints parse, call one service or
selector, and return plain data; refusals are mapped to error bodies in api/errors.py."""
from __future__ import annotations

from ninja import NinjaAPI, Query, Status
from ninja.security import HttpBearer

from glowpos.api import errors
from glowpos.api.packages import router as packages_router
from glowpos.api.audit import router as audit_router
from glowpos.api.reports import router as reports_router
from glowpos.api.settings import router as settings_router
from glowpos.api.schemas import BillIn, ClientIn, ClientPatch, DiscountIn, RefundIn, CloseIn, Id, LineIn, LinePatch, TokenIn, VoidIn
from glowpos.billing import selectors as bills
from glowpos.billing import services as billing
from glowpos.catalog import selectors as catalog
from glowpos.catalog.selectors import rate_on
from glowpos.clients import selectors as clients
from glowpos.clients.services import create_client, update_client
from glowpos.errors import ValidationFailed
from glowpos.packages import services as packages
from glowpos.packages.selectors import packages_data
from glowpos.tenancy import services as tenancy
from glowpos.tenancy.models import StaffMember
from django.utils import timezone


class BearerToken(HttpBearer):
    def __call__(self, request):
        """As HttpBearer's, reading the header from META: `request.headers` would parse every
        header of the request into a new mapping, at every request, for this one (ADR 0014)."""
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request, token: str) -> StaffMember | None:
        staff = tenancy.staff_for_token(token)
        if staff is not None:
            request.staff = staff
            request.token_key = token  # for POST /auth/revoke
        return staff


api = NinjaAPI(
    title="GlowPOS API", version="1", urls_namespace="api-v1", auth=BearerToken(),
    openapi_url="/openapi.json", docs_url="/docs",
)
errors.install(api)
api.add_router("/packages", packages_router)
api.add_router("/reports", reports_router)
api.add_router("", settings_router)
api.add_router("", audit_router)


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")[:64]


@api.post("/auth/token", auth=None, response={201: dict}, tags=["auth"])
def token(request, payload: TokenIn):
    key = tenancy.issue_token(username=payload.username, password=payload.password, address=_address(request))
    return Status(201, {"token": key})


@api.post("/auth/revoke", response={204: None}, tags=["auth"])
def revoke(request):
    """Log out: the token this request carries stops working at once (others of the same
    staff member are untouched)."""
    tenancy.revoke_token(request.token_key)
    return Status(204, None)


@api.get("/services", tags=["catalog"])
def list_services(request) -> list[dict]:
    today = timezone.localdate()
    business = request.staff.business
    return [
        {"id": s.id, "name": s.name, "sac": s.sac, "price": s.price,
         "tax_rate_bp": rate_on(business=business, code=s.sac, on=today).rate_bp}
        for s in catalog.services(business=business)
    ]


@api.get("/package-plans", tags=["catalog"])
def list_plans(request) -> list[dict]:
    return [
        {"id": p.id, "code": p.code, "name": p.name, "kind": p.kind, "price": p.price,
         "validity_days": p.validity_days, "credit_value": p.credit_value,
         "items": [{"service_id": i.service_id, "service_name": i.service.name, "units": i.units}
                   for i in p.items.all()]}
        for p in catalog.plans(business=request.staff.business)
    ]


def _client_data(client) -> dict:
    return {"id": client.id, "name": client.name, "phone": client.phone, "email": client.email,
            "gstin": client.gstin, "address": client.address, "state_code": client.state_code,
            "sms_opt_out": client.sms_opt_out, "email_opt_out": client.email_opt_out,
            "whatsapp_opt_in": client.whatsapp_opt_in}


@api.get("/clients", tags=["clients"])
def search_clients(request, q: str = Query(..., min_length=1, max_length=100)) -> list[dict]:
    return [_client_data(c) for c in clients.find_clients(business=request.staff.business, query=q)]


@api.post("/clients", response={201: dict}, tags=["clients"])
def add_client(request, payload: ClientIn):
    client = create_client(by=request.staff, name=payload.name, phone=payload.phone, email=payload.email,
                           gstin=payload.gstin, address=payload.address, state_code=payload.state_code)
    return Status(201, _client_data(client))


@api.get("/clients/{client_id}", tags=["clients"])
def client_detail(request, client_id: Id) -> dict:
    client = clients.get_client(business=request.staff.business, client_id=client_id)
    today = timezone.localdate()
    return {**_client_data(client), "packages": packages_data(client=client, on=today)}


@api.patch("/clients/{client_id}", tags=["clients"])
def change_client(request, client_id: Id, payload: ClientPatch) -> dict:
    changes = payload.dict(exclude_unset=True)
    client = update_client(by=request.staff, client_id=client_id, **changes)
    return _client_data(client)


def _bill(request, bill_id: int) -> dict:
    return bills.bill_data(bills.get_bill(business=request.staff.business, bill_id=bill_id, by=request.staff))


@api.post("/bills", response={201: dict}, tags=["bills"])
def open_bill(request, payload: BillIn):
    bill = billing.open_bill(client_id=payload.client_id, branch_id=payload.branch_id, by=request.staff,
                             ship_to_state_code=payload.ship_to_state_code)
    return Status(201, bills.bill_data(bill, lines=[]))  # just opened: no lines to read


@api.get("/bills/{bill_id}", tags=["bills"])
def get_bill(request, bill_id: Id) -> dict:
    return _bill(request, bill_id)


def _require(payload: LineIn, field: str) -> int:
    value = getattr(payload, field)
    if value is None:
        raise ValidationFailed(f"{field}: required for a {payload.type} line.", fields={field: "Required."})
    return value


@api.post("/bills/{bill_id}/lines", response={201: dict}, tags=["bills"])
def add_line(request, bill_id: Id, payload: LineIn):
    by = request.staff
    if payload.practitioner_id is not None and payload.type not in billing.TREATMENTS:
        raise ValidationFailed("practitioner_id: only a service or a session is performed by someone.",
                               fields={"practitioner_id": "Only for a service or a redemption."})
    if payload.type == "service":
        line = billing.add_service(bill_id=bill_id, service_id=_require(payload, "service_id"),
                                   quantity=payload.quantity, by=by, practitioner_id=payload.practitioner_id)
    elif payload.type == "product":
        line = billing.add_product(bill_id=bill_id, product_id=_require(payload, "product_id"),
                                   quantity=payload.quantity, by=by)
    elif payload.type == "package_sale":
        line = billing.add_package_sale(bill_id=bill_id, plan_id=_require(payload, "plan_id"), by=by)
    else:
        approver = None
        if payload.approval is not None:
            approver = tenancy.authenticate_staff(username=payload.approval.username,
                                                  password=payload.approval.password, address=_address(request))
        line = packages.apply_package(bill_id=bill_id, package_id=_require(payload, "package_id"),
                                      service_id=_require(payload, "service_id"), by=by,
                                      override_reason=payload.override_reason, approver=approver,
                                      practitioner_id=payload.practitioner_id)
    # The bill the service locked (and checked is hers to change): not looked up again.
    return Status(201, bills.bill_data(line.bill))


@api.patch("/bills/{bill_id}/lines/{line_id}", tags=["bills"])
def change_line(request, bill_id: Id, line_id: Id, payload: LinePatch) -> dict:
    """Who performs a service or a session on an open bill (sessions by practitioner)."""
    billing.assign_practitioner(bill_id=bill_id, line_id=line_id, practitioner_id=payload.practitioner_id,
                                by=request.staff)
    return _bill(request, bill_id)


@api.delete("/bills/{bill_id}/lines/{line_id}", tags=["bills"])
def remove_line(request, bill_id: Id, line_id: Id) -> dict:
    billing.remove_line(bill_id=bill_id, line_id=line_id, by=request.staff)
    return _bill(request, bill_id)


@api.post("/bills/{bill_id}/discount", tags=["bills"])
def discount(request, bill_id: Id, payload: DiscountIn) -> dict:
    """A discount on one line (line_id) or on the whole bill; above the business's limit it
    needs `approval`: a manager's username and password, checked like a login."""
    approver = None
    if payload.approval is not None:
        approver = tenancy.authenticate_staff(
            username=payload.approval.username, password=payload.approval.password, address=_address(request)
        )
    if payload.line_id is not None:
        billing.discount_line(bill_id=bill_id, line_id=payload.line_id, amount=payload.amount,
                              by=request.staff, approver=approver)
    else:
        billing.discount_bill(bill_id=bill_id, amount=payload.amount, by=request.staff, approver=approver)
    return _bill(request, bill_id)


@api.post("/bills/{bill_id}/refunds", response={201: dict}, tags=["bills"])
def refund(request, bill_id: Id, payload: RefundIn):
    """Refund part of a closed bill's line (or correct its price) by a credit note (manager)."""
    note = billing.refund_line(bill_id=bill_id, line_id=payload.line_id, amount=payload.amount,
                               reason=payload.reason, method=payload.method, by=request.staff)
    return Status(201, {"credit_note": document_data(note, request),
                        "receipt_url": request.build_absolute_uri(f"/r/{note.receipt_token}")})


def document_data(document, request) -> dict:
    snap = document.snapshot
    return {
        "id": document.id, "kind": document.kind, "number": document.number,
        "date": document.date.isoformat(), "taxable": document.taxable, "cgst": document.cgst,
        "sgst": document.sgst, "igst": document.igst, "round_off": document.round_off,
        "total": document.total, "currency": "INR", "lines": snap["lines"],
        "packages": snap.get("packages", []),
    }


@api.post("/bills/{bill_id}/close", tags=["bills"])
def close_bill(request, bill_id: Id, payload: CloseIn) -> dict:
    closed = billing.close_bill(
        bill_id=bill_id, payments=[p.dict() for p in payload.payments],
        idempotency_key=request.META.get("HTTP_IDEMPOTENCY_KEY"), by=request.staff,
    )
    return {
        "bill": bills.bill_data(closed.bill, lines=closed.lines, paid=closed.paid),
        "document": document_data(closed.document, request),
        "receipt_url": request.build_absolute_uri(f"/r/{closed.document.receipt_token}"),
    }


@api.post("/bills/{bill_id}/void", tags=["bills"])
def void_bill(request, bill_id: Id, payload: VoidIn) -> dict:
    bill = billing.void_bill(bill_id=bill_id, reason=payload.reason, by=request.staff)
    return bills.bill_data(bill)
