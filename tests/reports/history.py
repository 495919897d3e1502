"""A small clinic chain's April and May 2025, made through the real services, whose every
report figure is computed by hand in tests/reports (the constants below).

Two branches in Karnataka under one GSTIN: BLR1 (the clinic of tests/factories) and MYS1.
Before 22 September 2025 salon services (SAC 999722) are taxed at 18 %.

April
  05  BLR1  Priya buys LHR-6 (₹24,000, UPI)         BLR1/25-26/00001  taxable 20,338.98
  07  BLR1  Priya's first laser session             BLR1R/25-26/0001  recognized 3,389.83
  25  MYS1  Anil buys CLN-5 (₹5,000, cash)          MYS1/25-26/00001  taxable 4,237.28
  26  MYS1  Anil: sunscreen ₹950 + cleanup ₹1,200   MYS1/25-26/00002  card
  28  MYS1  Anil's first cleanup session            MYS1R/25-26/0001  recognized 847.46
  29  MYS1  …voided (wrong client)                  reversed, no credit note (₹0)
May
  03  BLR1  Lotus Salon (GSTIN) buys PEEL-4 ₹12,000 BLR1/25-26/00002  B2B, taxable 10,169.50
  10  BLR1  breakage posted by hand                 ₹1,000.00  (post(kind="breakage"))
  15  MYS1  refund posted by hand                   ₹500.00 cash (post(kind="refund"))
  20  BLR1  Meera buys CLN-5 (₹5,000, cash), voided BLR1/25-26/00003, BLR1C/25-26/0001
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from glowpos.billing import services as billing
from glowpos.demo.setup import demo_gstin
from glowpos.ledger import services as ledger
from glowpos.packages.models import ClientPackage
from glowpos.packages.services import apply_package
from glowpos.tenancy.models import Branch
from tests import factories

LOTUS_GSTIN = demo_gstin("29", "AAACL1234M")

# Hand-computed (PRODUCT.md's rule: tax_half = round_half_up(gross × r / (2 × (1 + r)))).
LHR_TAXABLE, LHR_HALF_TAX = 2_033_898, 183_051          # ₹24,000 at 18 %
CLN_TAXABLE, CLN_HALF_TAX = 423_728, 38_136              # ₹5,000 at 18 %
PEEL_TAXABLE, PEEL_HALF_TAX = 1_016_950, 91_525          # ₹12,000 at 18 %
SUNSCREEN_TAXABLE, SUNSCREEN_HALF_TAX = 80_508, 7_246    # ₹950 at 18 %
CLEANUP_TAXABLE, CLEANUP_HALF_TAX = 101_694, 9_153       # ₹1,200 at 18 %
LASER_SESSION = 338_983                                  # 20,338.98 / 6
CLEANUP_FIRST_SESSION = 84_746                           # 4,237.28 / 5: three units of 847.46, two of 847.45
BREAKAGE, REFUND = 100_000, 50_000
MAY_CLOSING_CHECK = "29855.93"  # deferred revenue at the end of May, in rupees, as bean-check sees it

APRIL = (date(2025, 4, 1), date(2025, 4, 30))
MAY = (date(2025, 5, 1), date(2025, 5, 31))


def at(day: date, hour: int = 11) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


@dataclass
class Chain:
    c: factories.Clinic
    blr: Branch
    mys: Branch
    priya_lhr: ClientPackage
    anil_cln: ClientPackage
    lotus_peel: ClientPackage | None = None


def _close(c, bill, by, when, method):
    due = billing.bill_totals(bill).total
    return billing.close_bill(bill_id=bill.id, payments=[{"method": method, "amount": due}] if due else [],
                              idempotency_key=f"h-{bill.id}", by=by, at=when)


def _sell(c, who, plan, *, by, branch, when, method):
    bill = billing.open_bill(client_id=who.id, by=by, branch_id=branch.id, at=when)
    billing.add_package_sale(bill_id=bill.id, plan_id=c.plan(plan).id, by=by)
    _close(c, bill, by, when, method)
    return bill, ClientPackage.objects.get(sale_bill=bill)


def _redeem(c, package, *, by, branch, when):
    bill = billing.open_bill(client_id=package.client_id, by=by, branch_id=branch.id, at=when)
    service = package.entitlements.order_by("id").first().service
    apply_package(bill_id=bill.id, package_id=package.id, service_id=service.id, by=by, at=when)
    _close(c, bill, by, when, "cash")
    return bill


def april(c: factories.Clinic) -> Chain:
    blr = c.business.branches.get(code="BLR1")
    mys = Branch.objects.create(business=c.business, code="MYS1", name="Mysuru", address="Sayyaji Rao Rd",
                                state_code="29", state_name="Karnataka", gstin=blr.gstin)
    desk, owner = c.front_desk, c.owner
    priya = factories.client(c, name="Priya Sharma")
    anil = factories.client(c, name="Anil Rao")
    _, lhr = _sell(c, priya, "LHR-6", by=desk, branch=blr, when=at(date(2025, 4, 5)), method="upi")
    _redeem(c, lhr, by=desk, branch=blr, when=at(date(2025, 4, 7)))
    _, cln = _sell(c, anil, "CLN-5", by=owner, branch=mys, when=at(date(2025, 4, 25)), method="cash")
    bill = billing.open_bill(client_id=anil.id, by=owner, branch_id=mys.id, at=at(date(2025, 4, 26)))
    billing.add_product(bill_id=bill.id, product_id=c.product("Sunscreen SPF 50").id, by=owner)
    billing.add_service(bill_id=bill.id, service_id=c.service("Skin cleanup").id, by=owner)
    _close(c, bill, owner, at(date(2025, 4, 26)), "card")
    mistaken = _redeem(c, cln, by=owner, branch=mys, when=at(date(2025, 4, 28)))
    billing.void_bill(bill_id=mistaken.id, reason="wrong client", by=owner, at=at(date(2025, 4, 29)))
    return Chain(c, blr, mys, lhr, cln)


def may(chain: Chain, *, adjustments: bool = True) -> Chain:
    c = chain.c
    lotus = factories.client(c, name="Lotus Salon")
    lotus.gstin = LOTUS_GSTIN
    lotus.save(update_fields=["gstin"])
    _, chain.lotus_peel = _sell(c, lotus, "PEEL-4", by=c.front_desk, branch=chain.blr, when=at(date(2025, 5, 3)),
                                method="upi")
    if adjustments:
        # Expiry and refunds are another engineer's services; their entries, posted by hand.
        ledger.post(business=c.business, branch=chain.blr, on=date(2025, 5, 10), kind="breakage",
                    memo="Breakage: unused sessions expired",
                    lines=[("deferred_revenue", BREAKAGE), ("breakage_income", -BREAKAGE)])
        ledger.post(business=c.business, branch=chain.mys, on=date(2025, 5, 15), kind="refund",
                    memo="Refund of unused sessions", lines=[("deferred_revenue", REFUND), ("cash", -REFUND)])
    meera = factories.client(c, name="Meera Nair")
    bill, _ = _sell(c, meera, "CLN-5", by=c.front_desk, branch=chain.blr, when=at(date(2025, 5, 20)), method="cash")
    billing.void_bill(bill_id=bill.id, reason="changed her mind", by=c.manager, at=at(date(2025, 5, 20), 12))
    return chain


def chain(c: factories.Clinic, *, adjustments: bool = True) -> Chain:
    return may(april(c), adjustments=adjustments)
