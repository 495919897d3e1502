"""Importing a clinic's clients and open package balances from a spreadsheet.

preview_import  reads the file and checks every row; writes nothing.
commit_import   the same check, then everything in one transaction — or nothing: new clients,
                new (inactive) plans, the packages with their used sessions, one opening entry
                (Dr opening balance equity / Cr deferred revenue: the unused sessions' value), and
                the ImportBatch with a key per row. No invoice: the sales happened before GlowPOS.

The same file twice is recognised by its sha256 and changes nothing; a corrected file skips
the packages already imported (by their row key) and adds the rest.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from glowpos.audit.services import record as audit
from glowpos.catalog.models import PackagePlan, PackagePlanItem, PlanKind
from glowpos.clients.models import Client
from glowpos.clients.phones import reversed_national_digits
from glowpos.errors import NotFound
from glowpos.ledger import chart
from glowpos.ledger import services as ledger
from glowpos.ledger.models import EntryKind
from glowpos.onboarding.errors import ImportRefused
from glowpos.onboarding.models import ImportBatch, ImportedRow
from glowpos.onboarding.reader import Table, read_table
from glowpos.onboarding.rows import Checked, NewPlan, check_rows
from glowpos.packages.models import ClientPackage, Entitlement, PackageEvent, PackageStatus
from glowpos.tenancy.models import Branch, StaffMember
from glowpos.tenancy.services import MANAGERS, require_role

BATCH_SIZE = 1000
REPORTED_PROBLEMS = 5000  # kept with the batch; the preview shows them all


@dataclass
class Preview:
    sha256: str
    filename: str
    size: int
    table: Table
    checked: Checked
    already: ImportBatch | None

    @property
    def can_commit(self) -> bool:
        return self.already is None and self.checked.writes_anything


@dataclass
class Committed:
    batch: ImportBatch | None  # None: nothing new in the file
    created: bool
    checked: Checked | None = None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def preview_import(*, by: StaffMember, data: bytes, filename: str, on: date | None = None) -> Preview:
    require_role(by, *MANAGERS, action="import clients and packages")
    table = read_table(data)
    sha = digest(data)
    checked = check_rows(business=by.business, table=table, on=on or timezone.localdate())
    already = ImportBatch.objects.filter(business=by.business, sha256=sha).first()
    return Preview(sha256=sha, filename=_clean_name(filename), size=len(data), table=table, checked=checked,
                   already=already)


def opening_date(at: datetime) -> date:
    """The opening balance is as at the close of the day before the import: a roll-forward from
    the import day opens with it."""
    return timezone.localdate(at) - timedelta(days=1)


def commit_import(*, by: StaffMember, data: bytes, filename: str, branch_id: int | None = None,
                  at: datetime | None = None) -> Committed:
    require_role(by, *MANAGERS, action="import clients and packages")
    at = at or timezone.now()
    sha = digest(data)
    prior = ImportBatch.objects.filter(business=by.business, sha256=sha).first()
    if prior is not None:
        return Committed(batch=prior, created=False)
    table = read_table(data)
    branch = _branch(by, branch_id)
    try:
        with transaction.atomic():
            prior = ImportBatch.objects.filter(business=by.business, sha256=sha).first()
            if prior is not None:
                return Committed(batch=prior, created=False)
            # Checked again inside the transaction: the clients and catalog as they are now.
            checked = check_rows(business=by.business, table=table, on=timezone.localdate(at))
            if not checked.writes_anything:
                return Committed(batch=None, created=False, checked=checked)
            batch = _write(by=by, branch=branch, table=table, checked=checked, sha=sha,
                           filename=_clean_name(filename), size=len(data), at=at)
            audit(by=by, action="import.commit", obj=batch, at=at,
                  data={"filename": batch.filename, "rows": batch.rows, "branch": branch.code,
                        "opening_total": checked.opening_total})
            return Committed(batch=batch, created=True, checked=checked)
    except IntegrityError:
        if ImportBatch.objects.filter(business=by.business, sha256=sha).exists():  # the same file, twice at once
            return Committed(batch=ImportBatch.objects.get(business=by.business, sha256=sha), created=False)
        raise ImportRefused("A client or package in the file was added elsewhere while importing (at the "
                            "counter, or by another import). Nothing was imported: check the file again and "
                            "import it.") from None


def _branch(by: StaffMember, branch_id: int | None) -> Branch:
    branch = by.allowed_branches().filter(id=branch_id).first() if branch_id else by.default_branch()
    if branch is None:
        raise NotFound("Branch not found.")
    return branch


def _clean_name(filename: str) -> str:
    name = re.sub(r"[^\w.\- ()]+", "_", (filename or "upload").rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    return name[:255] or "upload"


def _write(*, by: StaffMember, branch: Branch, table: Table, checked: Checked, sha: str, filename: str,
           size: int, at: datetime) -> ImportBatch:
    business = by.business
    plans = _create_plans(checked.new_plans, by=by)
    clients = {m.phone: m.client for m in checked.matched}
    fresh = [
        Client(business=business, name=c.name, phone=c.phone, phone_reversed=reversed_national_digits(c.phone),
               email=c.email)
        for c in checked.new_clients
    ]
    for client in Client.objects.bulk_create(fresh, batch_size=BATCH_SIZE):
        clients[client.phone] = client
    rows = checked.packages
    packages = ClientPackage.objects.bulk_create(
        [
            ClientPackage(
                business=business, client=clients[r.phone], plan=r.plan or plans[id(r.new_plan)],
                status=PackageStatus.EXHAUSTED if r.exhausted else PackageStatus.ACTIVE,
                purchased_on=r.purchased_on, expires_on=r.expires_on, price=r.price, taxable=r.taxable,
                tax_rate_bp=r.rate_bp,
            )
            for r in rows
        ],
        batch_size=BATCH_SIZE,
    )
    Entitlement.objects.bulk_create(
        [
            Entitlement(package=package, service=item.service, total_units=item.total, used_units=item.used,
                        opening_used_units=item.used, taxable_value=item.taxable_value)
            for r, package in zip(rows, packages) for item in r.items
        ],
        batch_size=BATCH_SIZE,
    )
    opening = checked.opening_total
    entry = ledger.post(
        business=business, branch=branch, on=opening_date(at), kind=EntryKind.OPENING, by=by,
        memo=f"Opening balance: unused sessions of {len(rows)} imported packages ({filename})",
        lines=[(chart.OPENING_BALANCE_EQUITY, opening), (chart.DEFERRED_REVENUE, -opening)],
    )
    batch = ImportBatch.objects.create(
        business=business, branch=branch, sha256=sha, filename=filename, size=size, rows=checked.rows, by=by,
        at=at, opening_entry=entry, report=_report(table, checked),
    )
    PackageEvent.objects.bulk_create(
        [
            PackageEvent(package=package, kind="imported", at=at, by=by, reason=f"Imported from {filename}",
                         data={"batch": batch.id, "row": r.row, "used_before": r.used_units, "opening": r.opening})
            for r, package in zip(rows, packages)
        ],
        batch_size=BATCH_SIZE,
    )
    ImportedRow.objects.bulk_create(
        [
            ImportedRow(business=business, batch=batch, row=r.row, key=r.key(package.plan_id),
                        client=package.client, package=package)
            for r, package in zip(rows, packages)
        ],
        batch_size=BATCH_SIZE,
    )
    return batch


def _create_plans(new_plans: list[NewPlan], *, by: StaffMember) -> dict[int, PackagePlan]:
    """Plans the file names that the catalog lacks: created inactive (not sold at the counter)."""
    taken = set(PackagePlan.objects.filter(business=by.business).values_list("code", flat=True))
    created = {}
    for new in new_plans:
        code = _free_code(new.name, taken)
        taken.add(code)
        plan = PackagePlan.objects.create(
            business=by.business, code=code, name=new.name, kind=PlanKind.BUNDLE,
            price=new.price or max(new.service.price * new.units, 1), validity_days=max(new.validity_days, 0),
            active=False,
        )
        PackagePlanItem.objects.create(plan=plan, service=new.service, units=new.units)
        created[id(new)] = plan
    return created


def _free_code(name: str, taken: set[str]) -> str:
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z0-9]+", name)).upper()[:8] or "PLAN"
    base = f"IMP-{initials}"
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"[:20]
    return code


def _report(table: Table, checked: Checked) -> dict:
    return {
        "kind": table.kind,
        "ignored_columns": table.ignored,
        "counts": {
            "rows": checked.rows, "clients_created": len(checked.new_clients),
            "clients_matched": len(checked.matched), "packages_created": len(checked.packages),
            "plans_created": len(checked.new_plans), "rows_skipped": len(checked.skipped),
            "rows_with_problems": checked.bad_rows, "opening_deferred": checked.opening_total,
        },
        "skipped": [[row, why] for row, why in checked.skipped[:REPORTED_PROBLEMS]],
        "problems": [[p.row, p.column, p.value, p.reason] for p in checked.problems[:REPORTED_PROBLEMS]],
    }
