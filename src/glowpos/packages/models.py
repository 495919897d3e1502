"""A client's packages and the units she is entitled to, and every redemption of them.

Invariant (in the database): for each entitlement, used + held ≤ total. A held unit is a
redemption pending on an open bill: it counts as used for availability, so two terminals
cannot take the same last session. Pending → posted (bill closed) or released (line removed,
bill abandoned); posted → reversed (bill voided).
"""
from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from glowpos.db import InsertsReused, MadeFromRows
from glowpos.catalog.models import PackagePlan, Service
from glowpos.clients.models import Client
from glowpos.tenancy.models import Business, StaffMember


class PackageStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    FROZEN = "frozen", "Frozen"
    EXHAUSTED = "exhausted", "Exhausted"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    TRANSFERRED = "transferred", "Transferred"
    RENEWED = "renewed", "Rolled into the next period"


class ClientPackage(MadeFromRows, models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="packages")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="packages")
    plan = models.ForeignKey(PackagePlan, on_delete=models.PROTECT)
    status = models.CharField(max_length=20, choices=PackageStatus.choices, default=PackageStatus.ACTIVE)
    purchased_on = models.DateField()
    expires_on = models.DateField()
    price = models.BigIntegerField(help_text="Paise paid, tax-inclusive.")
    taxable = models.BigIntegerField(help_text="Paise: the deferred revenue at sale.")
    tax_rate_bp = models.PositiveIntegerField()
    sale_bill = models.ForeignKey(
        "billing.Bill", null=True, blank=True, on_delete=models.PROTECT, related_name="packages_sold"
    )
    sale_document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Value packages only (face value of credit, and the paid money it stands for):
    credit_total = models.BigIntegerField(default=0, help_text="Paise of credit to spend (face value).")
    credit_used = models.BigIntegerField(default=0, help_text="Paise of credit spent (face value).")
    credit_money_used = models.BigIntegerField(default=0, help_text="Paise of the price those spends consumed.")
    frozen_on = models.DateField(null=True, blank=True, help_text="Set while frozen: the expiry clock is paused.")
    renews = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewed_by",
        help_text="Memberships: the period this one follows.",
    )
    transferred_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="transferred_from"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["business", "client", "status"], name="package_client_idx"),
            models.Index(fields=["business", "status", "expires_on"], name="package_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(taxable__gte=0) & Q(price__gte=F("taxable")), name="package_amounts"),
            models.CheckConstraint(condition=Q(expires_on__gte=F("purchased_on")), name="package_dates"),
            models.CheckConstraint(
                condition=Q(credit_used__gte=0) & Q(credit_used__lte=F("credit_total"))
                & Q(credit_money_used__gte=0) & Q(credit_money_used__lte=F("price")),
                name="package_credit_within_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} for {self.client.name}"


class Entitlement(MadeFromRows, models.Model):
    """Units of one service within a package, with the taxable value allocated to them."""

    package = models.ForeignKey(ClientPackage, on_delete=models.PROTECT, related_name="entitlements")
    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    total_units = models.PositiveIntegerField()
    used_units = models.PositiveIntegerField(default=0)
    held_units = models.PositiveIntegerField(default=0)
    taxable_value = models.BigIntegerField(help_text="Paise of the package's taxable value allocated here.")
    # An imported package's sessions used before GlowPOS: units 1..n, recognised in the old
    # books, never posted here (docs/decisions/0006-opening-balances.md).
    opening_used_units = models.PositiveIntegerField(
        default=0, help_text="Units used before the package was imported (units 1..n); part of used_units."
    )
    # The sum of its posted redemptions' values, kept with them in the same transaction (post
    # and reverse), so the liability reads entitlements alone instead of every redemption ever
    # posted (docs/decisions/0010-recognised-value-on-the-entitlement.md).
    posted_value = models.BigIntegerField(
        default=0, help_text="Paise recognised here by posted redemptions (the sum of their values)."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["package", "service"], name="entitlement_unique"),
            models.CheckConstraint(
                condition=Q(opening_used_units__lte=F("used_units")), name="entitlement_opening_within_used"
            ),
            models.CheckConstraint(
                condition=Q(used_units__gte=0) & Q(held_units__gte=0) & Q(total_units__gt=0),
                name="entitlement_units_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(used_units__lte=F("total_units") - F("held_units")),
                name="entitlement_no_over_redemption",
            ),
            models.CheckConstraint(
                condition=Q(posted_value__gte=0) & Q(posted_value__lte=F("taxable_value")),
                name="entitlement_posted_value_within_value",
            ),
        ]

    @property
    def remaining(self) -> int:
        return self.total_units - self.used_units - self.held_units


class RedemptionStatus(models.TextChoices):
    PENDING = "pending", "Held on an open bill"
    POSTED = "posted", "Redeemed"
    RELEASED = "released", "Released"
    REVERSED = "reversed", "Reversed"


class Redemption(InsertsReused):
    business = models.ForeignKey(Business, on_delete=models.PROTECT)
    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="redemptions")
    bill = models.ForeignKey("billing.Bill", on_delete=models.PROTECT, related_name="redemptions")
    # SET_NULL: removing the line from an open bill releases the unit; this row stays as history.
    line = models.OneToOneField(
        "billing.BillLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="redemption"
    )
    status = models.CharField(max_length=10, choices=RedemptionStatus.choices, default=RedemptionStatus.PENDING)
    session_number = models.PositiveIntegerField(
        help_text="The client's count: this is her n-th session of the entitlement (1-based)."
    )
    unit = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Which allocated unit was recognised (set when posted): the lowest not posted, so a "
                  "voided visit's unit is reused and posted values sum exactly to the entitlement.",
    )
    value = models.BigIntegerField(null=True, blank=True, help_text="Paise recognised when posted.")
    held_at = models.DateTimeField()
    posted_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(StaffMember, on_delete=models.PROTECT)

    class Meta:
        # (business, status) first, as before; posted_at: the sessions redeemed on a day.
        indexes = [models.Index(fields=["business", "status", "posted_at"], name="redemption_posted_idx")]
        constraints = [
            # A held unit is on a line of its bill (the close finds the holds through the lines);
            # removing the line releases the unit first.
            models.CheckConstraint(condition=~models.Q(status=RedemptionStatus.PENDING) | models.Q(line__isnull=False),
                                   name="redemption_held_on_a_line"),
        ]


class PackageEvent(InsertsReused):
    """Every change to a package: who, when, why."""

    package = models.ForeignKey(ClientPackage, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=30)
    at = models.DateTimeField()
    by = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT)
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class PackageShare(models.Model):
    """A named family member who may redeem the owner's package."""

    package = models.ForeignKey(ClientPackage, on_delete=models.CASCADE, related_name="shares")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="shared_packages")
    added_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT)
    added_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["package", "client"], name="package_share_unique")]


class DailyJobRun(models.Model):
    """One run of a daily job (expire packages, release abandoned holds) for one business on one
    business day. The worker claims the row with a lease before it runs the job, so several
    workers never run it twice the same day; one that dies mid-run leaves the lease to expire
    and the next takes it over (the jobs themselves are idempotent)."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    job = models.CharField(max_length=40)
    day = models.DateField()
    worker = models.CharField(max_length=100)
    claimed_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=1)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "job", "day"], name="daily_job_once")]
