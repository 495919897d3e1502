"""Setting up a business: its branch, staff, chart of accounts, tax rates and catalog.

Used by the demo clinic; the seeded SAC/HSN codes and rates are a convenience, not tax advice.
"""
from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from glowpos.catalog.models import PackagePlan, PackagePlanItem, Product, Service, TaxRate
from glowpos.ledger.services import ensure_chart
from glowpos.money.gstin import gstin_check_digit
from glowpos.tenancy.models import Branch, Business, Role, StaffMember

DEMO_PASSWORD = "glowpos-demo"
GST_START = date(2017, 7, 1)
RATIONALISATION = date(2025, 9, 22)  # GST rate rationalisation: salon services 18 % → 5 %

# (code, description, [(effective_from, rate_bp, exempt)])
TAX_RATES = [
    ("999316", "Cosmetic treatment by a clinic (not exempt healthcare)", [(GST_START, 1800, False)]),
    ("999722", "Beauty and physical well-being services (salon)",
     [(GST_START, 1800, False), (RATIONALISATION, 500, False)]),
    ("999312", "Medical consultation (exempt healthcare)", [(GST_START, 0, True)]),
    ("3304", "Beauty or make-up and skin-care preparations", [(GST_START, 1800, False)]),
    ("3305", "Preparations for use on the hair", [(GST_START, 1800, False), (RATIONALISATION, 500, False)]),
]

# (name, sac, price in rupees, minimum days between sessions)
SERVICES = [
    ("Laser hair reduction", "999316", 4500, 28),
    ("Chemical peel", "999316", 3500, 14),
    ("HydraFacial", "999316", 5000, 14),
    ("Skin cleanup", "999722", 1200, 0),
    ("Hair spa", "999722", 1800, 0),
    ("Gold facial", "999722", 2500, 0),
    ("Dermatologist consultation", "999312", 800, 0),
]

PRODUCTS = [("Sunscreen SPF 50", "3304", 950), ("Vitamin C serum", "3304", 1450), ("Anti-dandruff shampoo", "3305", 650)]

# (code, name, price in rupees, validity days, [(service name, units)])
PLANS = [
    ("LHR-6", "Laser hair reduction — 6 sessions", 24000, 365, [("Laser hair reduction", 6)]),
    ("CLN-5", "Skin cleanup — 5 sessions", 5000, 180, [("Skin cleanup", 5)]),
    ("PEEL-4", "Chemical peel — 4 sessions", 12000, 180, [("Chemical peel", 4)]),
    ("BRIDAL", "Bridal glow — 2 facials, 1 peel, 3 hair spas", 35000, 120,
     [("HydraFacial", 2), ("Chemical peel", 1), ("Hair spa", 3)]),
]


# (code, name, price in rupees, credit in rupees, validity days)
VALUE_PLANS = [("GLOW-12K", "Glow credit — pay ₹10,000, spend ₹12,000", 10000, 12000, 365)]


def demo_gstin(state_code: str, pan: str) -> str:
    first14 = f"{state_code}{pan}1Z"
    return first14 + gstin_check_digit(first14)


@transaction.atomic
def create_business(*, name: str, branch_code: str, branch_name: str, address: str, state_code: str,
                    state_name: str, pan: str, usernames: dict[str, str], password: str,
                    names: dict[str, tuple[str, str]] | None = None) -> Business:
    business = Business.objects.create(name=name, legal_name=f"{name} Private Limited")
    branch = Branch.objects.create(
        business=business, code=branch_code, name=branch_name, address=address, state_code=state_code,
        state_name=state_name, gstin=demo_gstin(state_code, pan),
    )
    ensure_chart(business)
    User = get_user_model()
    for role, username in usernames.items():
        first, last = (names or {}).get(role, ("", ""))
        user = User.objects.create_user(username=username, password=password, first_name=first, last_name=last)
        staff = StaffMember.objects.create(user=user, business=business, role=role)
        if role != Role.OWNER:
            staff.branches.add(branch)
    for code, description, rows in TAX_RATES:
        for effective_from, rate_bp, exempt in rows:
            TaxRate.objects.create(business=business, code=code, description=description,
                                   effective_from=effective_from, rate_bp=rate_bp, exempt=exempt)
    services = {}
    for service_name, sac, rupees, interval in SERVICES:
        services[service_name] = Service.objects.create(
            business=business, name=service_name, sac=sac, price=rupees * 100, min_interval_days=interval
        )
    for product_name, hsn, rupees in PRODUCTS:
        Product.objects.create(business=business, name=product_name, hsn=hsn, price=rupees * 100)
    for code, plan_name, rupees, days, items in PLANS:
        plan = PackagePlan.objects.create(business=business, code=code, name=plan_name, price=rupees * 100,
                                          validity_days=days, kind="multi" if len(items) > 1 else "bundle")
        for service_name, units in items:
            PackagePlanItem.objects.create(plan=plan, service=services[service_name], units=units)
    club = PackagePlan.objects.create(
        business=business, code="GLOW-CLUB", name="Glow Club — a facial a month + 10% off services",
        kind="membership", price=2000 * 100, validity_days=30, member_discount_bp=1000, rollover=False,
    )
    PackagePlanItem.objects.create(plan=club, service=services["Gold facial"], units=1)
    for code, plan_name, rupees, credit, days in VALUE_PLANS:
        PackagePlan.objects.create(business=business, code=code, name=plan_name, kind="value", price=rupees * 100,
                                   credit_value=credit * 100, validity_days=days)
    return business
