"""The checkout: open a bill, add lines, close it (or void it). One transaction each.

close_bill is the heart of the product. Inside one transaction it locks the bill and every
entitlement it redeems, re-checks every rule, posts the redemptions, creates sold packages,
takes the next document number, freezes the document, posts the balanced journal entries
and queues the receipt. Either all of it happens or none of it does; a retry with the same
idempotency key returns the same document.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import CharField, DateTimeField, prefetch_related_objects
from django.utils import timezone

from glowpos.audit.services import record as audit
from glowpos.billing.errors import (
    BillNotOpen,
    DiscountNeedsApproval,
    EmptyBill,
    IdempotencyConflict,
    PaymentMismatch,
)
from glowpos.billing.locking import lock_bill, lock_open_bill
from glowpos.billing.models import Bill, BillLine, BillStatus, LineCredit, LineType, Payment, PaymentMethod
from glowpos.catalog.selectors import Rate, get_plan, get_product, get_service, plan_rate_on, rate_on, rates_on
from glowpos.clients.selectors import get_client
from glowpos.clients.states import STATES
from glowpos.db import Param, Reused, ReusedUpdate
from glowpos.documents.models import Document, DocumentKind
from glowpos.documents import services as documents
from glowpos.errors import NotFound, ValidationFailed
from glowpos.ledger import chart
from glowpos.ledger import services as ledger
from glowpos.ledger.models import EntryKind, JournalEntry
from glowpos.money import allocate, amount_in_words, format_inr, round_half_up, split_inclusive
from glowpos.packages import services as packages
from glowpos.packages.models import Redemption, RedemptionStatus
from glowpos.packages.selectors import member_discount_of, packages_summary
from glowpos.receipts.services import enqueue_receipt
from glowpos.tenancy.models import StaffMember
from glowpos.tenancy.services import COUNTER, MANAGERS, branch_scope, get_practitioner, require_role

MAX_QUANTITY = 100


def open_bill(*, client_id: int, by: StaffMember, branch_id: int | None = None,
              at: datetime | None = None, ship_to_state_code: str = "") -> Bill:
    require_role(by, *COUNTER, action="open bills")
    client = get_client(business=by.business, client_id=client_id)
    branch_id = _branch_for(by, branch_id)
    if ship_to_state_code and ship_to_state_code not in STATES:
        raise ValidationFailed(
            f"ship_to_state_code: '{ship_to_state_code}' is not a GST state code.",
            fields={"ship_to_state_code": "Unknown state code."},
        )
    return Bill.objects.create(
        business=by.business, branch_id=branch_id, client=client, opened_by=by,
        opened_at=at or timezone.now(), ship_to_state_code=ship_to_state_code,
    )


def _branch_for(by: StaffMember, branch_id: int | None) -> int:
    """The id of the branch a bill opens in: the one asked for, if hers; else her first branch,
    the lowest id of her branch scope when she has one (in hand: no query)."""
    if branch_id is not None:
        found = by.allowed_branches().filter(id=branch_id).values_list("id", flat=True).first()
    elif scope := branch_scope(by):
        found = scope[0]
    else:
        found = getattr(by.default_branch(), "id", None)
    if found is None:
        raise NotFound("Branch not found.")
    return found


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(
            f"quantity: must be between 1 and {MAX_QUANTITY}.", fields={"quantity": "Out of range."}
        )


def _tax(amount: int, rate, *, inter_state: bool) -> dict[str, int]:
    """The tax-inclusive split of a line's amount (exempt supplies carry no tax)."""
    if rate.exempt:
        return {"taxable": amount, "cgst": 0, "sgst": 0, "igst": 0}
    split = split_inclusive(amount, rate.rate_bp, inter_state=inter_state)
    return {"taxable": split.taxable, "cgst": split.cgst, "sgst": split.sgst, "igst": split.igst}


def _inter_state(bill: Bill, type: str) -> bool:
    """Services on a person are supplied where performed; only goods shipped out of state are IGST."""
    return type == LineType.PRODUCT and bool(bill.ship_to_state_code) and (
        bill.ship_to_state_code != bill.branch.state_code
    )


def _priced_line(bill: Bill, *, type: str, description: str, unit_price: int, quantity: int,
                 code: str, rate, **refs) -> BillLine:
    amount = unit_price * quantity
    return BillLine.objects.create(
        bill=bill, type=type, description=description, quantity=quantity, unit_price=unit_price,
        amount=amount, code=code, rate_bp=rate.rate_bp, exempt=rate.exempt,
        **_tax(amount, rate, inter_state=_inter_state(bill, type)), **refs,
    )


def add_service(*, bill_id: int, service_id: int, quantity: int = 1, by: StaffMember,
                at: datetime | None = None, practitioner_id: int | None = None) -> BillLine:
    """A service line, with the member discount of a membership in force on `at`'s day (today),
    and who performs it when known (`practitioner_id`)."""
    require_role(by, *COUNTER, action="add to bills")
    _check_quantity(quantity)
    on = timezone.localdate(at)
    with transaction.atomic():
        bill = lock_open_bill(business=by.business, bill_id=bill_id, by=by)
        service = get_service(business=by.business, service_id=service_id)
        practitioner = get_practitioner(business=by.business, staff_id=practitioner_id)
        _refuse_mixing(bill)
        rate = rate_on(business=by.business, code=service.sac, on=on)
        line = _priced_line(
            bill, type=LineType.SERVICE, description=service.name, unit_price=service.price,
            quantity=quantity, code=service.sac, rate=rate, service=service, practitioner=practitioner,
        )
        membership = member_discount_of(bill.client, on=on)
        if membership is not None:
            off = round_half_up(line.amount * membership.plan.member_discount_bp, 10000)
            amount = line.amount - off
            member_price = {"discount": off, "amount": amount,
                            "description": f"{service.name} (member {membership.plan.code})",
                            **_tax(amount, rate, inter_state=False)}
            BillLine.objects.filter(id=line.id).update(**member_price)
            for field, value in member_price.items():
                setattr(line, field, value)
        return line


def add_product(*, bill_id: int, product_id: int, quantity: int = 1, by: StaffMember) -> BillLine:
    require_role(by, *COUNTER, action="add to bills")
    _check_quantity(quantity)
    with transaction.atomic():
        bill = lock_open_bill(business=by.business, bill_id=bill_id, by=by)
        product = get_product(business=by.business, product_id=product_id)
        _refuse_mixing(bill)
        rate = rate_on(business=by.business, code=product.hsn, on=timezone.localdate())
        return _priced_line(
            bill, type=LineType.PRODUCT, description=product.name, unit_price=product.price,
            quantity=quantity, code=product.hsn, rate=rate, product=product,
        )


def add_package_sale(*, bill_id: int, plan_id: int, by: StaffMember) -> BillLine:
    require_role(by, *COUNTER, action="sell packages")
    with transaction.atomic():
        bill = lock_open_bill(business=by.business, bill_id=bill_id, by=by)
        plan = get_plan(business=by.business, plan_id=plan_id)
        if not plan.active:
            raise ValidationFailed("plan_id: this plan is no longer sold.", fields={"plan_id": "Inactive."})
        if plan.is_value:
            _refuse_mixing(bill, adding_value=True)
            return BillLine.objects.create(
                bill=bill, type=LineType.PACKAGE_SALE, plan=plan, quantity=1, unit_price=plan.price,
                amount=plan.price, taxable=plan.price,
                description=f"{plan.name}: {format_inr(plan.credit_value)} of credit (advance; GST when spent)",
            )
        _refuse_mixing(bill)
        rate = plan_rate_on(plan=plan, on=timezone.localdate())
        return _priced_line(
            bill, type=LineType.PACKAGE_SALE, description=f"{plan.name} (package {plan.code})",
            unit_price=plan.price, quantity=1, code=rate.code, rate=rate, plan=plan,
        )


def _refuse_mixing(bill: Bill, *, adding_value: bool = False) -> None:
    """A value package is an advance (receipt voucher, no GST); it is sold on a bill of its own."""
    lines = bill.lines.all()
    has_value = lines.filter(type=LineType.PACKAGE_SALE, plan__kind="value").exists()
    if has_value or (adding_value and lines.exists()):
        raise ValidationFailed(
            "type: sell a value package on a bill of its own (it is an advance, not a supply).",
            fields={"type": "Value package on its own bill."},
        )


TREATMENTS = (LineType.SERVICE, LineType.REDEMPTION)


def _lock_line(by: StaffMember, bill_id: int, line_id: int) -> tuple[Bill, BillLine]:
    """The open bill, locked, and one of its lines (another bill's line is not found)."""
    bill = lock_open_bill(business=by.business, bill_id=bill_id, by=by)
    line = bill.lines.filter(id=line_id).first()
    if line is None:
        raise NotFound("Line not found on this bill.")
    return bill, line


def assign_practitioner(*, bill_id: int, line_id: int, practitioner_id: int | None, by: StaffMember) -> BillLine:
    """Who performs a service or a session on an open bill (None: not recorded). Once the bill
    is closed the line is part of an issued document and stays as it was."""
    require_role(by, *COUNTER, action="change bills")
    with transaction.atomic():
        bill, line = _lock_line(by, bill_id, line_id)
        if line.type not in TREATMENTS:
            raise ValidationFailed("line_id: only a service or a session is performed by someone.",
                                   fields={"line_id": "Not a service or a session."})
        line.practitioner = get_practitioner(business=by.business, staff_id=practitioner_id)
        line.save(update_fields=["practitioner"])
        return line


def remove_line(*, bill_id: int, line_id: int, by: StaffMember) -> None:
    """Remove a line from an open bill; a held package unit goes back to the package."""
    require_role(by, *COUNTER, action="change bills")
    at = timezone.now()
    with transaction.atomic():
        bill, line = _lock_line(by, bill_id, line_id)
        redemption = Redemption.objects.filter(line=line, status=RedemptionStatus.PENDING).first()
        if redemption is not None:
            packages.release_hold(redemption=redemption, by=by, at=at, why="line removed")
        line.delete()


def _check_discount_allowed(bill: Bill, *, total_discount: int, gross: int, by: StaffMember,
                            approver: StaffMember | None) -> None:
    """Discounts within the business's limit are the counter's call; above it, a manager's."""
    limit_bp = bill.business.discount_limit_bp
    if total_discount * 10000 <= gross * limit_bp or by.is_manager:
        return
    if approver is not None and approver.business_id == bill.business_id and approver.is_manager:
        return
    raise DiscountNeedsApproval(
        f"A discount above {limit_bp / 100:g}% of the bill needs a manager's approval.",
        fields={"approval": "A manager's username and password."},
    )


def _set_discounts(bill: Bill, discounts: dict[int, int], *, by: StaffMember,
                   approver: StaffMember | None) -> None:
    lines = {l.id: l for l in bill.lines.exclude(type=LineType.REDEMPTION).select_related("plan")
             if not _is_value_sale(l)}
    gross = sum(l.unit_price * l.quantity for l in lines.values())
    after = {lid: discounts.get(lid, l.discount) for lid, l in lines.items()}
    _check_discount_allowed(bill, total_discount=sum(after.values()), gross=gross, by=by, approver=approver)
    for line_id, discount in discounts.items():
        line = lines[line_id]
        amount = line.unit_price * line.quantity - discount
        rate = _line_rate(line, timezone.localdate())
        BillLine.objects.filter(id=line.id).update(
            discount=discount, amount=amount, **_tax(amount, rate, inter_state=_inter_state(bill, line.type))
        )


def _apply_discount(bill: Bill, amount: int) -> None:
    """Spread `amount` over the charged lines by price (largest remainder) on top of their
    discounts; no approval: it is the value package's bonus, agreed when it was sold."""
    if not amount:
        return
    lines = [l for l in bill.lines.exclude(type=LineType.REDEMPTION).select_related("plan").order_by("id")
             if not _is_value_sale(l)]
    for line, share in zip(lines, allocate(amount, [l.amount for l in lines])):
        rate = Rate(code=line.code, rate_bp=line.rate_bp, exempt=line.exempt)
        new_amount = line.amount - share
        BillLine.objects.filter(id=line.id).update(
            discount=line.discount + share, amount=new_amount,
            **_tax(new_amount, rate, inter_state=_inter_state(bill, line.type)),
        )


def discount_line(*, bill_id: int, line_id: int, amount: int, by: StaffMember,
                  approver: StaffMember | None = None) -> None:
    """Take `amount` paise (tax-inclusive) off one line; the taxable value falls with it."""
    require_role(by, *COUNTER, action="give discounts")
    with transaction.atomic():
        bill, line = _lock_line(by, bill_id, line_id)
        if line.type == LineType.REDEMPTION or _is_value_sale(line):
            raise ValidationFailed("line_id: this line cannot be discounted (a redemption or a value package).",
                                   fields={"line_id": "Not discountable."})
        if not 0 <= amount <= line.unit_price * line.quantity:
            raise ValidationFailed("amount: between 0 and the line's price.", fields={"amount": "Out of range."})
        _set_discounts(bill, {line.id: amount}, by=by, approver=approver)
        if amount:
            audit(by=by, action="bill.discount", obj=bill,
                  data={"line_id": line.id, "amount": amount, "approved_by": approver.id if approver else None})


def discount_bill(*, bill_id: int, amount: int, by: StaffMember, approver: StaffMember | None = None) -> None:
    """A discount on the whole bill, spread over its charged lines in proportion to their price
    (largest remainder, to the paisa), replacing any line discounts."""
    require_role(by, *COUNTER, action="give discounts")
    with transaction.atomic():
        bill = lock_open_bill(business=by.business, bill_id=bill_id, by=by)
        lines = [l for l in bill.lines.exclude(type=LineType.REDEMPTION).select_related("plan").order_by("id")
                 if not _is_value_sale(l)]
        gross = [l.unit_price * l.quantity for l in lines]
        if not lines or not 0 <= amount <= sum(gross):
            raise ValidationFailed("amount: between 0 and the bill's charged total.",
                                   fields={"amount": "Out of range."})
        shares = allocate(amount, gross) if sum(gross) else [0] * len(lines)
        _set_discounts(bill, {l.id: share for l, share in zip(lines, shares)}, by=by, approver=approver)
        if amount:
            audit(by=by, action="bill.discount", obj=bill,
                  data={"line_id": None, "amount": amount, "approved_by": approver.id if approver else None})


@dataclass(frozen=True)
class Totals:
    taxable: int
    cgst: int
    sgst: int
    igst: int
    round_off: int
    total: int

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst

    def as_dict(self) -> dict[str, int]:
        return {"taxable": self.taxable, "cgst": self.cgst, "sgst": self.sgst, "igst": self.igst,
                "round_off": self.round_off, "total": self.total}


def bill_totals(bill: Bill, lines: list[BillLine] | None = None, *, round_off: int | None = None) -> Totals:
    """The bill's totals from its lines (pass them when already loaded). `round_off` keeps a
    round-off already decided instead of rounding afresh."""
    if lines is None:
        lines = list(bill.lines.all())
    taxable = sum(l.taxable for l in lines)
    cgst, sgst, igst = (sum(getattr(l, f) for l in lines) for f in ("cgst", "sgst", "igst"))
    gross = taxable + cgst + sgst + igst
    if round_off is None:
        round_off = 0
        if bill.business.round_off_to_rupee:
            round_off = round_half_up(gross, 100) * 100 - gross
    return Totals(taxable, cgst, sgst, igst, round_off, gross + round_off)


@dataclass(frozen=True)
class Closed:
    bill: Bill
    document: Document
    # What the close wrote, for its answer (not read again): the lines, each with its
    # redemption and that redemption's entitlement, and the money paid. None on a retry's.
    lines: list[BillLine] | None = None
    paid: int | None = None


def _parse_payments(payments: list[dict]) -> list[tuple[str, int, int | None]]:
    """(method, amount, package_id) per payment. A `credit` payment spends a value package's
    credit at face value (its package_id, or the client's soonest-expiring value package)."""
    parsed = []
    methods = set(PaymentMethod.values)
    for i, p in enumerate(payments or []):
        method, amount, package_id = p.get("method"), p.get("amount"), p.get("package_id")
        if method not in methods:
            raise ValidationFailed(
                f"payments[{i}].method: must be one of {', '.join(sorted(methods))}.",
                fields={f"payments.{i}.method": "Unknown payment method."},
            )
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValidationFailed(
                f"payments[{i}].amount: must be a positive whole number of paise.",
                fields={f"payments.{i}.amount": "Positive integer paise."},
            )
        if package_id is not None and method != PaymentMethod.CREDIT:
            raise ValidationFailed(
                f"payments[{i}].package_id: only a credit payment names a package.",
                fields={f"payments.{i}.package_id": "Only with method credit."},
            )
        parsed.append((method, amount, package_id))
    return parsed


def _check_key(key: str | None) -> str:
    key = (key or "").strip()
    if not 1 <= len(key) <= 100 or not key.isprintable():
        raise ValidationFailed(
            "Idempotency-Key: send a unique key (1–100 printable characters) with every close.",
            fields={"Idempotency-Key": "Required, 1–100 characters."},
        )
    return key


def _fingerprint(bill_id: int, payments: list[tuple[str, int]]) -> str:
    body = json.dumps({"bill": bill_id, "payments": sorted(payments, key=str)}, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _refuse_used_key(business, key: str) -> None:
    if Bill.objects.filter(business=business, idempotency_key=key).exists():
        raise IdempotencyConflict(
            "Idempotency-Key: this key was already used for a different close request.",
            fields={"Idempotency-Key": "Reused with a different request."},
        )


def closing_document(bill: Bill) -> Document:
    return bill.documents.exclude(kind=DocumentKind.CREDIT_NOTE).order_by("id").first()


def close_bill(*, bill_id: int, payments: list[dict], idempotency_key: str | None, by: StaffMember,
               at: datetime | None = None) -> Closed:
    require_role(by, *COUNTER, action="close bills")
    key = _check_key(idempotency_key)
    parsed = _parse_payments(payments)
    fingerprint = _fingerprint(bill_id, parsed)
    at = at or timezone.now()
    try:
        with transaction.atomic():
            bill = lock_bill(business=by.business, bill_id=bill_id, by=by, related=True)
            if bill.status != BillStatus.OPEN:
                if bill.idempotency_key == key and bill.close_fingerprint == fingerprint:
                    return Closed(bill, closing_document(bill))  # a retry: the same document
                _refuse_used_key(by.business, key)
                raise BillNotOpen(f"Bill {bill.id} is already {bill.status}.")
            # An open bill's key is checked by the UNIQUE constraint when the close is written:
            # a key already used on another bill rolls this close back (below).
            return _close(bill, parsed, key=key, fingerprint=fingerprint, by=by, at=at)
    except IntegrityError:
        # The key is another bill's (the UNIQUE constraint refused this close's write).
        if Bill.objects.filter(business=by.business, idempotency_key=key).exclude(id=bill_id).exists():
            raise IdempotencyConflict(
                "Idempotency-Key: this key was already used for a different close request.",
                fields={"Idempotency-Key": "Reused with a different request."},
            ) from None
        raise


def _line_rate(line: BillLine, on, rates: dict[str, Rate] | None = None):
    if line.type == LineType.PACKAGE_SALE:
        return plan_rate_on(plan=line.plan, on=on)
    if rates is not None and line.code in rates:
        return rates[line.code]
    return rate_on(business=line.bill.business, code=line.code, on=on)


def _reprice(bill: Bill, lines: list[BillLine], on) -> None:
    """Tax follows the supply date: lines are repriced at the rate in force when the bill closes.
    The loaded lines are updated in place; only a line whose tax changed is written."""
    charged = [l for l in lines if l.type != LineType.REDEMPTION and not _is_value_sale(l)]
    if not charged:  # sessions only: nothing is taxed at the close
        return
    rates = rates_on(business_id=bill.business_id, on=on,
                     codes={l.code for l in charged if l.type != LineType.PACKAGE_SALE})
    changed = []
    for line in charged:
        rate = _line_rate(line, on, rates)
        fields = {"rate_bp": rate.rate_bp, "exempt": rate.exempt, "code": rate.code,
                  **_tax(line.amount, rate, inter_state=_inter_state(bill, line.type))}
        if any(getattr(line, f) != v for f, v in fields.items()):
            for f, v in fields.items():
                setattr(line, f, v)
            changed.append(line)
    if changed:
        BillLine.objects.bulk_update(changed, ["rate_bp", "exempt", "code", "taxable", "cgst", "sgst", "igst"])


def _is_value_sale(line: BillLine) -> bool:
    return line.type == LineType.PACKAGE_SALE and line.plan.is_value


def _document_kind(lines: list[BillLine]) -> str:
    if any(_is_value_sale(l) for l in lines):
        return DocumentKind.RECEIPT_VOUCHER  # an advance for services not yet identified
    charged = [l for l in lines if l.type != LineType.REDEMPTION]
    if not charged:
        return DocumentKind.REDEMPTION_NOTE
    exempt = [l.exempt for l in charged]
    if all(exempt):
        return DocumentKind.BILL_OF_SUPPLY
    if any(exempt):
        return DocumentKind.INVOICE_CUM_BILL_OF_SUPPLY
    return DocumentKind.TAX_INVOICE


# CGST Rule 46(e): an unregistered recipient's address and state are printed at ₹50,000 or more.
ADDRESS_REQUIRED_FROM = 50_000_00


def _check_recipient(client, *, kind: str, total: int) -> None:
    invoices = (DocumentKind.TAX_INVOICE, DocumentKind.INVOICE_CUM_BILL_OF_SUPPLY)
    if kind not in invoices or client.gstin or total < ADDRESS_REQUIRED_FROM:
        return
    missing = {}
    if not client.address.strip():
        missing["client.address"] = "Required on an invoice of ₹50,000 or more to an unregistered client."
    if not client.state_code:
        missing["client.state_code"] = "Required on an invoice of ₹50,000 or more to an unregistered client."
    if missing:
        raise ValidationFailed(
            f"{' and '.join(missing)}: the client's address and state must be on an invoice of "
            "₹50,000 or more (CGST Rule 46); add them to the client, then close.",
            fields=missing,
        )


# Sent at every close and every answer of the API (ADR 0013).
_LINES = Reused(lambda: BillLine.objects.filter(bill_id=Param("bill_id")).order_by("id"))
_LINES_WITH_SESSIONS = Reused(lambda: (
    BillLine.objects.filter(bill_id=Param("bill_id")).select_related("redemption__entitlement").order_by("id")
))
_LINES_WITH_HOLDS = Reused(lambda: (  # a line without a session joins nothing: LEFT JOIN on a unique key
    BillLine.objects.filter(bill_id=Param("bill_id")).select_related("redemption").order_by("id")
))
_CLOSE = ReusedUpdate(
    lambda: Bill.objects.filter(id=Param("id")), status=BillStatus.CLOSED, closed_at=Param("at", DateTimeField()),
    closed_by_id=Param("by"), idempotency_key=Param("key", CharField()), close_fingerprint=Param("fingerprint", CharField()),
)


def bill_lines(bill: Bill, *, with_sessions: bool = False, with_holds: bool = False) -> list[BillLine]:
    """The bill's lines in order, each pointing at `bill` (no query for it); `with_sessions`:
    each session's line with its redemption and that redemption's entitlement; `with_holds`:
    with its redemption only (the close's pending_in)."""
    query = _LINES_WITH_SESSIONS if with_sessions else _LINES_WITH_HOLDS if with_holds else _LINES
    lines = query.all(bill_id=bill.id)
    for line in lines:
        line.bill = bill
    return lines


def _lines_of(bill: Bill, *, with_holds: bool = False) -> list[BillLine]:
    """The bill's lines in order, with the plan of each package sold (read only when the bill
    sells one: most bills sell none, and joining the plan to every line costs the close);
    `with_holds`: each session's line with its redemption, in the same query (pending_in)."""
    lines = bill_lines(bill, with_holds=with_holds)
    if any(l.plan_id for l in lines):
        prefetch_related_objects(lines, "plan")
    return lines


def _close(bill: Bill, payments: list[tuple[str, int]], *, key: str, fingerprint: str,
           by: StaffMember, at: datetime) -> Closed:
    on = timezone.localdate(at)
    lines = _lines_of(bill, with_holds=True)
    if not lines:
        raise EmptyBill("The bill has no lines; add a service, a product, a package or a redemption.")
    redeems = any(l.type == LineType.REDEMPTION for l in lines)
    pending = packages.pending_in(lines) if redeems else []
    entitlements = packages.lock_entitlements_of(bill, pending) if redeems else {}
    _reprice(bill, lines, on)
    totals = bill_totals(bill, lines)
    paid = sum(amount for _, amount, _ in payments)
    if paid != totals.total:
        raise PaymentMismatch(
            f"Payments add up to {format_inr(paid)} but {format_inr(totals.total)} is due.",
            fields={"payments": "Must add up to the amount due."}, amount_due=totals.total, paid=paid,
        )
    tenders = [{"method": m, "amount": a} for m, a, _ in payments if m != PaymentMethod.CREDIT]
    credit = [(a, pid) for m, a, pid in payments if m == PaymentMethod.CREDIT]
    if credit:
        spends = packages.spend_credit(bill=bill, spends=credit, by=by, at=at)
        # The bonus in spent credit (face value above the money it stands for) is a discount on
        # what it buys: GST is due on the consideration actually paid.
        _apply_discount(bill, sum(face - money for _, face, money in spends))
        lines = _lines_of(bill)
        packages.give_lines(pending, lines)  # the same holds, on the lines read again
        # The round-off stays what the bill was presented with: the counter split that total
        # between credit and cash, and the bonus comes off both sides alike (rounding afresh
        # would leave the payments a few paise off the new total).
        totals = bill_totals(bill, lines, round_off=totals.round_off)
        tenders += [{"method": PaymentMethod.CREDIT, "amount": money, "face": face, "package": pkg.plan.code,
                     "package_id": pkg.id} for pkg, face, money in spends]
        if sum(t["amount"] for t in tenders) != totals.total:
            raise PaymentMismatch(
                "With the package credit's bonus applied the payments no longer match; pay the rest in cash.",
                fields={"payments": "Must add up to the amount due."}, amount_due=totals.total,
            )
    payments = [(t["method"], t["amount"]) for t in tenders]
    kind = _document_kind(lines)
    _check_recipient(bill.client, kind=kind, total=totals.total)
    posted = []
    if redeems:
        posted = packages.post_pending(bill=bill, entitlements=entitlements, pending=pending, by=by, at=at)
    sells = any(l.type == LineType.PACKAGE_SALE for l in lines)
    sold = packages.create_sold_packages(bill=bill, by=by, at=at) if sells else []
    Payment.objects.bulk_create(Payment(bill=bill, method=m, amount=a, received_at=at) for m, a in payments)
    redeemed = _redeemed_by_line(posted)
    document = documents.issue(
        branch=bill.branch, kind=kind, at=at, on=on, by=by, bill=bill, client=bill.client,
        totals=totals.as_dict(),
        snapshot=_snapshot(bill, lines, totals, tenders, kind, redeemed),
    )
    if sold:
        from glowpos.packages.models import ClientPackage
        ClientPackage.objects.filter(id__in=[p.id for p in sold]).update(sale_document=document)
    _post_ledger(bill, lines, totals, payments, posted, document, by, on)
    _CLOSE.run(id=bill.id, at=at, by=by.id, key=key, fingerprint=fingerprint)
    bill.status, bill.closed_at, bill.closed_by = BillStatus.CLOSED, at, by
    bill.idempotency_key, bill.close_fingerprint = key, fingerprint
    enqueue_receipt(document=document)
    return Closed(bill, document, lines=lines, paid=sum(a for _, a in payments))


def _redeemed_by_line(posted: list[Redemption]) -> dict[int, dict]:
    """What each redemption line's snapshot says of its package: the session this visit took
    (post_pending gave each its locked entitlement, and its line the caption: "session 4 of
    6, 2 remaining")."""
    redeemed = {}
    for r in posted:
        ent = r.entitlement
        redeemed[r.line_id] = {
            "id": ent.package_id, "code": ent.package.plan.code, "session": r.session_number,
            "total": ent.total_units, "remaining_after": ent.total_units - r.session_number,
        }
    return redeemed


_REVENUE_ACCOUNT = {
    LineType.SERVICE: chart.SERVICE_REVENUE,
    LineType.PRODUCT: chart.PRODUCT_REVENUE,
    LineType.PACKAGE_SALE: chart.DEFERRED_REVENUE,  # a liability until sessions are redeemed
}


def _revenue_account(line: BillLine) -> str:
    if line.type == LineType.PACKAGE_SALE and line.plan.is_value:
        return chart.CLIENT_CREDIT  # money held for the client to spend; no supply yet, no GST
    return _REVENUE_ACCOUNT[line.type]


def _post_ledger(bill, lines, totals: Totals, payments, posted, document, by, on) -> None:
    sale = [(chart.PAYMENT_ACCOUNT[m], a) for m, a in payments]
    sale += [(_revenue_account(l), -l.taxable) for l in lines if l.type in _REVENUE_ACCOUNT]
    sale += [(chart.OUTPUT_CGST, -totals.cgst), (chart.OUTPUT_SGST, -totals.sgst),
             (chart.OUTPUT_IGST, -totals.igst), (chart.ROUND_OFF, -totals.round_off)]
    recognised = sum(r.value for r in posted)
    redemption = [(chart.DEFERRED_REVENUE, recognised), (chart.SERVICE_REVENUE, -recognised)]
    accounts = ledger.accounts_by_code(bill.business, {code for code, _ in sale + redemption})
    ledger.post(business=bill.business, branch=bill.branch, on=on, kind=EntryKind.SALE,
                memo=f"{document.get_kind_display()} {document.number}", lines=sale, by=by,
                document=document, accounts=accounts)
    ledger.post(business=bill.business, branch=bill.branch, on=on, kind=EntryKind.REDEMPTION,
                memo=f"Sessions redeemed on {document.number}", lines=redemption,
                by=by, document=document, accounts=accounts)


def _snapshot(bill: Bill, lines: list[BillLine], totals: Totals, payments, kind: str,
              redeemed: dict[int, dict]) -> dict:
    branch, business, client = bill.branch, bill.business, bill.client
    # Who performed each treatment, by name (one query, only when the counter named someone).
    performed = {l.practitioner_id for l in lines if l.practitioner_id}
    performers = {s.id: s.display_name
                  for s in StaffMember.objects.filter(id__in=performed).select_related("user")} if performed else {}
    snap_lines = []
    for l in lines:
        row = {
            "id": l.id, "type": l.type, "description": l.description, "code": l.code,
            "quantity": l.quantity, "unit_price": l.unit_price, "discount": l.discount,
            "rate_bp": l.rate_bp, "inter_state": bool(l.igst),
            "exempt": l.exempt, "taxable": l.taxable, "cgst": l.cgst, "sgst": l.sgst,
            "igst": l.igst, "amount": l.amount,
        }
        if l.id in redeemed:
            row["package"] = redeemed[l.id]
        if l.practitioner_id:
            row["practitioner"] = performers[l.practitioner_id]
        snap_lines.append(row)
    return {
        "title": dict(DocumentKind.choices)[kind],
        "bill_id": bill.id,
        "supplier": {
            "name": business.legal_name or business.name, "trade_name": business.name,
            "branch": branch.name, "address": branch.address, "state": branch.state_name,
            "state_code": branch.state_code, "gstin": branch.gstin,
        },
        "recipient": {
            "name": client.name, "phone": client.phone, "email": client.email, "gstin": client.gstin,
            "address": client.address, "state_code": client.state_code,
            "state": STATES.get(client.state_code, ""),
        },
        "place_of_supply": f"{branch.state_name} ({branch.state_code})",
        "ship_to": (
            f"{STATES[bill.ship_to_state_code]} ({bill.ship_to_state_code})" if bill.ship_to_state_code else ""
        ),
        "reverse_charge": False,
        "lines": snap_lines,
        "totals": totals.as_dict(),
        "amount_in_words": amount_in_words(totals.total),
        "payments": payments,
        "packages": packages_summary(client=client, touched=frozenset(p["id"] for p in redeemed.values())),
    }


def void_bill(*, bill_id: int, reason: str, by: StaffMember, at: datetime | None = None) -> Bill:
    """Void a bill. An open bill is abandoned (holds released); a closed one is reversed by a
    credit note citing it, reversing journal entries, and its sessions return to the packages.
    The original document is never touched."""
    require_role(by, *MANAGERS, action="void bills")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("reason: say why the bill is voided.", fields={"reason": "Required."})
    at = at or timezone.now()
    on = timezone.localdate(at)
    with transaction.atomic():
        bill = lock_bill(business=by.business, bill_id=bill_id, by=by)
        credit_note = None
        if bill.status == BillStatus.VOIDED:
            raise BillNotOpen(f"Bill {bill.id} is already voided.")
        if bill.status == BillStatus.OPEN:
            packages.lock_entitlements_of(bill)  # in id order, like a close: no deadlock between them
            for redemption in Redemption.objects.filter(bill=bill, status=RedemptionStatus.PENDING):
                packages.release_hold(redemption=redemption, by=by, at=at, why=f"bill voided: {reason}")
        else:
            if LineCredit.objects.filter(line__bill=bill).exists():
                raise BillNotOpen(f"Bill {bill.id} was partly refunded; refund the rest by credit note instead.")
            original = closing_document(bill)
            packages.lock_entitlements_voided_with(bill)
            packages.cancel_unredeemed_sale(bill=bill, by=by, at=at, why=reason)
            packages.reverse_posted(bill=bill, by=by, at=at, why=reason)
            packages.restore_credit(bill=bill, document=original, by=by, at=at, why=reason)
            credit_note = None
            if original.total or original.taxable:
                credit_note = documents.issue(
                    branch=bill.branch, kind=DocumentKind.CREDIT_NOTE, at=at, on=on, by=by, bill=bill,
                    client=bill.client, original=original,
                    totals={f: getattr(original, f) for f in ("taxable", "cgst", "sgst", "igst", "round_off", "total")},
                    snapshot={**original.snapshot, "title": "Credit note", "reason": reason,
                              "original": {"number": original.number, "date": original.date.isoformat()},
                              "packages": packages_summary(client=bill.client)},
                )
            for entry in JournalEntry.objects.filter(document=original, reverses__isnull=True).order_by("id"):
                if not JournalEntry.objects.filter(reverses=entry).exists():
                    ledger.reverse(entry=entry, on=on, by=by, document=credit_note or original,
                                   memo=f"Void of {original.number}: {reason}")
        Bill.objects.filter(id=bill.id).update(status=BillStatus.VOIDED, void_reason=reason[:300],
                                               closed_at=bill.closed_at or at)
        audit(by=by, action="bill.void", obj=bill, at=at,
              data={"reason": reason[:300], "was": bill.status,
                    "credit_note": credit_note.number if credit_note else None})
        bill.refresh_from_db()
        return bill


def refund_line(*, bill_id: int, line_id: int, amount: int, reason: str, method: str, by: StaffMember,
                at: datetime | None = None) -> Document:
    """A partial refund or price correction of one line of a closed bill: a credit note citing
    the invoice (tax reversed at the line's rate), money back by `method`, reversing postings.
    Package sales are cancelled through the package (cancel_package), not here."""
    require_role(by, *MANAGERS, action="refund")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("reason: say why.", fields={"reason": "Required."})
    if method not in ("cash", "card", "upi"):
        raise ValidationFailed("method: refund by cash, card or upi.", fields={"method": "cash, card or upi."})
    at = at or timezone.now()
    on = timezone.localdate(at)
    with transaction.atomic():
        bill = lock_bill(business=by.business, bill_id=bill_id, by=by)
        if bill.status != BillStatus.CLOSED:
            raise BillNotOpen(f"Bill {bill.id} is {bill.status}; only a closed bill is refunded.")
        line = bill.lines.filter(id=line_id, type__in=[LineType.SERVICE, LineType.PRODUCT]).first()
        if line is None:
            raise NotFound("No service or product line with that id on this bill.")
        credited = sum(c.amount for c in line.credits.all())
        if not 0 < amount <= line.amount - credited:
            raise ValidationFailed(
                f"amount: between ₹0.01 and {format_inr(line.amount - credited)} (what is left of the line).",
                fields={"amount": "Out of range."},
            )
        original = closing_document(bill)
        split = _tax(amount, Rate(code=line.code, rate_bp=line.rate_bp, exempt=line.exempt),
                     inter_state=bool(line.igst))
        row = {"type": f"{line.type}_credit", "description": f"Credit: {line.description}", "code": line.code,
               "quantity": 1, "unit_price": amount, "discount": 0, "rate_bp": line.rate_bp, "exempt": line.exempt,
               "inter_state": bool(line.igst), "amount": amount, **split}
        totals = {**split, "round_off": 0, "total": amount}
        credit_note = documents.issue(
            branch=bill.branch, kind=DocumentKind.CREDIT_NOTE, at=at, on=on, by=by, bill=bill, client=bill.client,
            original=original, totals=totals,
            snapshot={**original.snapshot, "title": "Credit note", "reason": reason, "lines": [row],
                      "totals": totals, "amount_in_words": amount_in_words(amount),
                      "payments": [{"method": method, "amount": -amount}],
                      "original": {"number": original.number, "date": original.date.isoformat()},
                      "packages": packages_summary(client=bill.client)},
        )
        LineCredit.objects.create(line=line, document=credit_note, amount=amount)
        audit(by=by, action="bill.refund", obj=bill, at=at,
              data={"line_id": line.id, "amount": amount, "method": method, "reason": reason[:300],
                    "credit_note": credit_note.number})
        ledger.post(
            business=bill.business, branch=bill.branch, on=on, kind=EntryKind.REFUND, by=by, document=credit_note,
            memo=f"Credit note {credit_note.number} on {original.number}: {reason}",
            lines=[(_REVENUE_ACCOUNT[line.type], split["taxable"]), (chart.OUTPUT_CGST, split["cgst"]),
                   (chart.OUTPUT_SGST, split["sgst"]), (chart.OUTPUT_IGST, split["igst"]),
                   (chart.PAYMENT_ACCOUNT[method], -amount)],
        )
        return credit_note
