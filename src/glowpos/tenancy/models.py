"""Who owns what: a Business (tenant) with Branches, and the staff acting for it.

Every other table carries `business` so that every query can be scoped by it.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models

from glowpos.db import MadeFromRows, Param, Reused


class Business(MadeFromRows, models.Model):
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200, blank=True)
    round_off_to_rupee = models.BooleanField(
        default=False, help_text="Round each invoice total to the nearest rupee (own ledger line)."
    )
    discount_limit_bp = models.PositiveIntegerField(
        default=1000, help_text="Discounts above this share of a bill (basis points) need a manager."
    )
    cancellation_fee_bp = models.PositiveIntegerField(
        default=1000, help_text="Kept from the unused value of a cancelled package (basis points)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "businesses"

    def __str__(self) -> str:
        return self.name


class Branch(MadeFromRows, models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="branches")
    code = models.CharField(
        max_length=4, help_text="Document series prefix, A–Z 0–9, e.g. BLR1 (4 characters at most)."
    )
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    state_code = models.CharField(max_length=2, help_text="GST state code, e.g. 29 for Karnataka.")
    state_name = models.CharField(max_length=60)
    gstin = models.CharField(max_length=15, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "code"], name="branch_code_unique"),
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z0-9]{1,4}$"), name="branch_code_charset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", "Front desk"
    PRACTITIONER = "practitioner", "Practitioner"
    MANAGER = "manager", "Manager"
    OWNER = "owner", "Owner"


class StaffMember(MadeFromRows, models.Model):
    """A login acting for one business in one role."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices)
    branches = models.ManyToManyField(Branch, blank=True, help_text="Empty: every branch.")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()}, {self.business})"

    @property
    def display_name(self) -> str:
        """Her name as screens, receipts and reports show it: the full name, else the login."""
        return self.user.get_full_name() or self.user.get_username()

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.MANAGER, Role.OWNER)

    def default_branch(self) -> Branch:
        """Her first branch, or the business's first when she is tied to none (asked by every
        bill opened: reused queries, ADR 0013)."""
        return (_FIRST_OF_STAFF.first(staff_id=self.id)
                or _FIRST_OF_BUSINESS.first(business_id=self.business_id))

    def allowed_branches(self) -> models.QuerySet[Branch]:
        if self.role == Role.OWNER or not self.branches.exists():
            return self.business.branches.all()
        return self.branches.all()


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored, so a database leak leaks no tokens."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)


class LoginFailure(models.Model):
    """One failed login; counted per username and per address to throttle guessing."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(db_index=True)


_FIRST_OF_STAFF = Reused(lambda: Branch.objects.filter(staffmember=Param("staff_id")).order_by("id")[:1])
_FIRST_OF_BUSINESS = Reused(lambda: Branch.objects.filter(business_id=Param("business_id")).order_by("id")[:1])
