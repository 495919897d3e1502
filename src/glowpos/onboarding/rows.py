"""Checking every row of an import against the business's catalog and clients: what will be
created, what matches an existing client, what was imported before, and what is wrong (row,
column, reason). Reads only. The preview shows this result and the commit writes exactly it.

A row is a client (name, phone, email) and optionally one open package of hers: a plan from
the catalog (by code or name; inactive plans too, they are what old packages were sold as) or
a new plan named in the file with its service, the sessions total and used, the amount paid,
the purchase date and the expiry. For a plan of several services, "sessions used" names each
service with its count ("Gold facial 1; Hair spa 2").

The package's taxable value is the tax-inclusive split of the amount paid at the plan's rate on
the purchase date, allocated over its services by standalone price as a sale would be; the
sessions already used are its first units, and the unused units' values are the opening
deferred revenue (docs/decisions/0006-opening-balances.md).
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from glowpos.catalog.errors import TaxRateMissing
from glowpos.catalog.models import PackagePlan, PlanKind, Service
from glowpos.catalog.selectors import Rate, plan_rate_on, rate_on
from glowpos.clients.models import Client
from glowpos.clients.phones import normalise_phone
from glowpos.errors import ValidationFailed
from glowpos.money import allocate, split_inclusive, unit_value
from glowpos.onboarding.cells import CellError, day, paise, text, whole_number
from glowpos.onboarding.models import ImportedRow
from glowpos.onboarding.reader import LABELS, Table
from glowpos.tenancy.models import Business

PACKAGE_COLUMNS = ("plan", "service", "sessions_total", "sessions_used", "amount_paid", "purchase_date", "expiry")
CHUNK = 500  # ids per IN (...) query


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class NewClient:
    row: int
    name: str
    phone: str
    email: str


@dataclass
class Match:
    row: int
    name: str
    phone: str
    client: Client


@dataclass(eq=False)
class NewPlan:
    """A plan the file names that the catalog does not have: created (inactive) with the import."""

    name: str
    service: Service
    units: int
    price: int
    validity_days: int
    row: int


@dataclass
class Item:
    service: Service
    total: int
    used: int
    taxable_value: int

    @property
    def opening(self) -> int:
        """Paise still owed: the values of the units not used (units used+1 … total)."""
        return sum(unit_value(self.taxable_value, self.total, n) for n in range(self.used + 1, self.total + 1))


@dataclass
class PackageRow:
    row: int
    phone: str
    client_name: str
    plan: PackagePlan | None
    new_plan: NewPlan | None
    items: list[Item]
    price: int
    taxable: int
    rate_bp: int
    purchased_on: date
    expires_on: date

    @property
    def plan_name(self) -> str:
        return self.plan.name if self.plan else self.new_plan.name

    @property
    def total_units(self) -> int:
        return sum(i.total for i in self.items)

    @property
    def used_units(self) -> int:
        return sum(i.used for i in self.items)

    @property
    def remaining_units(self) -> int:
        return self.total_units - self.used_units

    @property
    def exhausted(self) -> bool:
        return all(i.used == i.total for i in self.items)

    @property
    def opening(self) -> int:
        return sum(i.opening for i in self.items)

    def key(self, plan_id: int | str | None = None) -> str:
        """What identifies the package across imports: her phone, the plan, the purchase date,
        the sessions and the amount (not the name or the sessions used, which a corrected file
        may change)."""
        plan = plan_id if plan_id is not None else (self.plan.id if self.plan else f"new:{_normal(self.new_plan.name)}")
        sessions = ",".join(f"{i.service.id}x{i.total}" for i in self.items)
        raw = f"{self.phone}|{plan}|{self.purchased_on.isoformat()}|{sessions}|{self.price}"
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class Checked:
    rows: int
    new_clients: list[NewClient] = field(default_factory=list)
    matched: list[Match] = field(default_factory=list)
    packages: list[PackageRow] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def new_plans(self) -> list[NewPlan]:
        return list({id(p.new_plan): p.new_plan for p in self.packages if p.new_plan}.values())

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})

    @property
    def opening_total(self) -> int:
        return sum(p.opening for p in self.packages)

    @property
    def writes_anything(self) -> bool:
        return bool(self.new_clients or self.packages)


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


class Catalog:
    """The business's plans and services, looked up by what a spreadsheet calls them."""

    def __init__(self, business: Business):
        self.business = business
        plans = list(PackagePlan.objects.filter(business=business).prefetch_related("items__service").order_by("id"))
        self.by_code = {p.code.lower(): p for p in plans}
        self.by_name: dict[str, list[PackagePlan]] = defaultdict(list)
        for p in plans:
            self.by_name[_normal(p.name)].append(p)
        self.services: dict[str, Service] = {}
        for service in Service.objects.filter(business=business).order_by("-active", "id"):
            self.services.setdefault(_normal(service.name), service)  # an active one before a retired namesake
        self.new_plans: dict[str, NewPlan] = {}
        self._rates: dict[tuple, Rate] = {}

    def plan(self, raw: str) -> PackagePlan | None:
        found = self.by_code.get(raw.strip().lower())
        if found:
            return found
        named = self.by_name.get(_normal(raw), [])
        if len(named) > 1:
            codes = ", ".join(p.code for p in named)
            raise CellError(f"several plans are called '{raw}' ({codes}): write the plan's code instead")
        return named[0] if named else None

    def new_plan(self, *, name: str, service: Service, units: int, price: int, validity_days: int,
                 row: int) -> NewPlan:
        known = self.new_plans.get(_normal(name))
        if known is None:
            known = self.new_plans[_normal(name)] = NewPlan(name=name.strip()[:200], service=service, units=units,
                                                            price=price, validity_days=validity_days, row=row)
        elif known.service.id != service.id:
            raise CellError(f"new plan '{name}' is for {known.service.name} in row {known.row}; "
                            "one plan name, one service")
        return known

    def rate(self, *, plan: PackagePlan | None, service: Service, on: date) -> Rate:
        key = (plan.id if plan else None, service.sac, on)
        if key not in self._rates:
            self._rates[key] = (plan_rate_on(plan=plan, on=on) if plan
                                else rate_on(business=self.business, code=service.sac, on=on))
        return self._rates[key]


class _Row:
    """One row's cells, and the problems found in it."""

    def __init__(self, table: Table, number: int, cells: list):
        self.table, self.number, self.cells = table, number, cells
        self.problems: list[Problem] = []

    def get(self, key: str):
        index = self.table.columns.get(key)
        return self.cells[index] if index is not None and index < len(self.cells) else None

    def bad(self, key: str, reason: str, value=None) -> None:
        column = self.table.headings.get(key) or f"{LABELS[key]} (no such column)"
        shown = text(self.get(key) if value is None else value)
        self.problems.append(Problem(self.number, column, shown[:80], reason))

    def parse(self, key: str, parser, **kwargs):
        try:
            return parser(self.get(key), **kwargs)
        except CellError as error:
            self.bad(key, str(error))
            return None


def check_rows(*, business: Business, table: Table, on: date) -> Checked:
    catalog = Catalog(business)
    checked = Checked(rows=len(table.rows))
    good: list[tuple[int, str, str, str, PackageRow | None]] = []
    for number, cells in table.rows:
        row = _Row(table, number, cells)
        name, phone, email = _client_part(row)
        package = None
        if any(text(row.get(k)) for k in PACKAGE_COLUMNS):
            package = _package_part(row, catalog, phone=phone, name=name, on=on)
        if row.problems:
            checked.problems.extend(row.problems)
        else:
            good.append((number, name, phone, email, package))
    _sort_out(business, good, checked)
    return checked


def _client_part(row: _Row) -> tuple[str, str, str]:
    name = text(row.get("name"))
    if not name:
        row.bad("name", "a client needs a name")
    elif len(name) > 200:
        row.bad("name", "200 characters at most")
    phone = ""
    raw_phone = text(row.get("phone"))
    if not raw_phone:
        row.bad("phone", "a client needs a phone number")
    else:
        try:
            phone = normalise_phone(raw_phone)
        except ValidationFailed:
            row.bad("phone", "not a valid Indian phone number (10 digits, e.g. 98765 43210)")
    email = text(row.get("email"))
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            row.bad("email", "not an email address")
    return name, phone, email


def _package_part(row: _Row, catalog: Catalog, *, phone: str, name: str, on: date) -> PackageRow | None:
    before = len(row.problems)
    plan, service = _plan_and_service(row, catalog)
    if plan is None and service is None:
        return None
    items = [(i.service, i.units) for i in plan.items.all()] if plan else [(service, None)]
    totals, used = _sessions(row, plan, items)
    price = row.parse("amount_paid", paise) if text(row.get("amount_paid")) else row.bad(
        "amount_paid", "the amount paid is needed (0 for a complimentary package)")
    purchased = row.parse("purchase_date", day) if text(row.get("purchase_date")) else row.bad(
        "purchase_date", "the purchase date is needed")
    if purchased and purchased > on:
        row.bad("purchase_date", f"a date in the future (today is {on:%d/%m/%Y})")
    expires = _expiry(row, plan, purchased, on)
    if len(row.problems) > before:
        return None
    new_plan = None
    if plan is None:
        try:
            new_plan = catalog.new_plan(name=text(row.get("plan")), service=service, units=totals[0], price=price,
                                        validity_days=(expires - purchased).days, row=row.number)
        except CellError as error:
            row.bad("plan", str(error))
            return None
    try:
        rate = catalog.rate(plan=plan, service=items[0][0], on=purchased)
    except TaxRateMissing as error:
        row.bad("purchase_date", error.detail)
        return None
    taxable = price if rate.exempt else split_inclusive(price, rate.rate_bp).taxable
    weights = [s.price * (units or total) for (s, units), total in zip(items, totals)]
    shares = allocate(taxable, weights if sum(weights) else totals)
    return PackageRow(
        row=row.number, phone=phone, client_name=name, plan=plan, new_plan=new_plan,
        items=[Item(service=s, total=t, used=u, taxable_value=v)
               for (s, _), t, u, v in zip(items, totals, used, shares)],
        price=price, taxable=taxable, rate_bp=0 if rate.exempt else rate.rate_bp, purchased_on=purchased,
        expires_on=expires,
    )


def _plan_and_service(row: _Row, catalog: Catalog) -> tuple[PackagePlan | None, Service | None]:
    raw_plan, raw_service = text(row.get("plan")), text(row.get("service"))
    service = None
    if raw_service:
        service = catalog.services.get(_normal(raw_service))
        if service is None:
            row.bad("service", "no service by this name in the catalog")
            return None, None
    if not raw_plan:
        row.bad("plan", "a package row needs its plan (the plan's name or code)")
        return None, None
    try:
        plan = catalog.plan(raw_plan)
    except CellError as error:
        row.bad("plan", str(error))
        return None, None
    if plan is None:
        if service is None:
            row.bad("plan", "unknown plan: no plan has this name or code (to import it as a new plan, "
                            "write its service in the Service column)")
        return None, service
    if not plan.items.all():
        row.bad("plan", f"{plan.name} has no services in the catalog; add them first")
        return None, None
    if plan.kind == PlanKind.VALUE:
        row.bad("plan", "value / credit packages cannot be imported yet; add their balance at the counter")
        return None, None
    if service and not any(i.service_id == service.id for i in plan.items.all()):
        row.bad("service", f"{plan.name} does not include {service.name}")
        return None, None
    return plan, service


def _sessions(row: _Row, plan: PackagePlan | None, items: list) -> tuple[list[int], list[int]]:
    raw_total, raw_used = row.get("sessions_total"), row.get("sessions_used")
    if len(items) > 1:  # a plan of several services: its own units; used named per service
        totals = [units for _, units in items]
        if text(raw_total):
            total = row.parse("sessions_total", whole_number)
            if total is not None and total != sum(totals):
                breakdown = ", ".join(f"{s.name} {u}" for s, u in items)
                row.bad("sessions_total", f"{plan.name} has {sum(totals)} sessions ({breakdown}): "
                                          f"leave it blank or write {sum(totals)}")
        used = _used_per_service(row, items, raw_used)
    else:
        if text(raw_total):
            total = row.parse("sessions_total", whole_number)
            if total == 0:
                row.bad("sessions_total", "a package has at least one session")
        elif plan is not None:
            total = items[0][1]
        else:
            total = None
            row.bad("sessions_total", "a new plan needs its number of sessions")
        totals = [total or 0]
        used = [row.parse("sessions_used", whole_number) or 0 if text(raw_used) else 0]
    for (service, _), total, count in zip(items, totals, used):
        if total and count > total:
            label = f" of {service.name}" if len(items) > 1 else ""
            row.bad("sessions_used", f"used{label} ({count}) is more than the total ({total})")
    return totals, used


def _used_per_service(row: _Row, items: list, raw) -> list[int]:
    used = [0] * len(items)
    written = text(raw)
    if not written or written == "0":
        return used
    names = {_normal(s.name): n for n, (s, _) in enumerate(items)}
    example = "; ".join(f"{s.name} 1" for s, _ in items[:2])
    for part in re.split(r"[;,\n]", written):
        if not part.strip():
            continue
        m = re.fullmatch(r"\s*(.*?\D)\s*[:=]?\s*(\d{1,4})\s*", part)
        index = names.get(_normal(m[1])) if m else None
        if index is None:
            row.bad("sessions_used", f"name each service of the plan with its count, e.g. '{example}'")
            return used
        used[index] = int(m[2])
    return used


def _expiry(row: _Row, plan: PackagePlan | None, purchased: date | None, on: date) -> date | None:
    if text(row.get("expiry")):
        expires = row.parse("expiry", day)
    elif plan is not None and purchased is not None:
        expires = purchased + timedelta(days=plan.validity_days)
    else:
        if plan is None:
            row.bad("expiry", "a new plan needs the expiry date")
        return None
    if expires is None or purchased is None:
        return expires
    if expires < purchased:
        row.bad("expiry", "before the purchase date", value=expires.strftime("%d/%m/%Y"))
    elif expires < on:
        row.bad("expiry", f"expired on {expires:%d %b %Y}: only open packages are imported (if the clinic "
                          "extended it, write the new expiry)", value=expires.strftime("%d/%m/%Y"))
    return expires


def _sort_out(business: Business, good: list, checked: Checked) -> None:
    """Duplicates in the file, clients new or matched by phone, packages imported before."""
    phones = {phone for _, _, phone, _, _ in good}
    existing: dict[str, Client] = {}
    ordered = sorted(phones)
    for start in range(0, len(ordered), CHUNK):
        for client in Client.objects.filter(business=business, phone__in=ordered[start:start + CHUNK]):
            existing[client.phone] = client
    seen_client_rows: dict[str, int] = {}
    seen_packages: dict[str, int] = {}
    first_row_of: dict[str, int] = {}
    packages: list[PackageRow] = []
    for number, name, phone, email, package in good:
        if package is None:
            if phone in seen_client_rows:
                checked.problems.append(Problem(number, "", "", f"duplicate row: the same client as row "
                                                                f"{seen_client_rows[phone]}"))
                continue
            seen_client_rows[phone] = number
        else:
            key = package.key()
            if key in seen_packages:
                checked.problems.append(Problem(number, "", "", f"duplicate row: the same package as row "
                                                                f"{seen_packages[key]} (client, plan, "
                                                                "purchase date, sessions and amount)"))
                continue
            seen_packages[key] = number
            packages.append(package)
        if phone not in first_row_of:
            first_row_of[phone] = number
            if phone in existing:
                checked.matched.append(Match(row=number, name=name, phone=phone, client=existing[phone]))
            else:
                checked.new_clients.append(NewClient(row=number, name=name, phone=phone, email=email))
    done = _imported_before(business, [p.key() for p in packages if p.plan is not None])
    for package in packages:
        earlier = done.get(package.key()) if package.plan is not None else None
        if earlier:
            checked.skipped.append((package.row, f"already imported (row {earlier[0]} of {earlier[1]})"))
        else:
            checked.packages.append(package)
    checked.problems.sort(key=lambda p: p.row)


def _imported_before(business: Business, keys: list[str]) -> dict[str, tuple[int, str]]:
    found = {}
    for start in range(0, len(keys), CHUNK):
        for key, row, filename in ImportedRow.objects.filter(
            business=business, key__in=keys[start:start + CHUNK]
        ).values_list("key", "row", "batch__filename"):
            found[key] = (row, filename)
    return found
