"""Changing the catalog's tax configuration: the owner's call alone."""
from __future__ import annotations

import re
from datetime import date

from django.db import transaction
from django.utils import timezone

from glowpos.audit.services import record as audit
from glowpos.catalog.models import TaxRate
from glowpos.errors import ValidationFailed
from glowpos.tenancy.models import Role, StaffMember
from glowpos.tenancy.services import require_role


def set_tax_rate(*, by: StaffMember, code: str, rate_bp: int, effective_from: date, exempt: bool = False,
                 description: str = "") -> TaxRate:
    """The GST rate of a SAC/HSN code from a date on (e.g. a rate rationalisation). Supplies
    already invoiced keep their rate: their documents are immutable snapshots, and a rate may
    only start today or later. Setting a rate for a date that has one replaces it."""
    require_role(by, Role.OWNER, action="change tax settings")
    code = (code or "").strip()
    if not re.fullmatch(r"\d{4,8}", code):
        raise ValidationFailed("code: a SAC or HSN code of 4–8 digits.", fields={"code": "4–8 digits."})
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int) or not 0 <= rate_bp <= 10000:
        raise ValidationFailed("rate_bp: basis points between 0 and 10000 (1800 = 18 %).",
                               fields={"rate_bp": "0–10000."})
    if exempt and rate_bp:
        raise ValidationFailed("rate_bp: an exempt supply has no rate (0).", fields={"rate_bp": "0 when exempt."})
    if effective_from < timezone.localdate():
        raise ValidationFailed("effective_from: today or later; past supplies keep the rate they were invoiced at.",
                               fields={"effective_from": "Not in the past."})
    with transaction.atomic():
        before = TaxRate.objects.filter(business=by.business, code=code, effective_from__lte=effective_from) \
            .order_by("-effective_from").first()
        rate, _ = TaxRate.objects.update_or_create(
            business=by.business, code=code, effective_from=effective_from,
            defaults={"rate_bp": rate_bp, "exempt": exempt, "description": (description or "").strip()[:200]},
        )
        audit(by=by, action="tax_rate.set", obj=rate, data={
            "code": code, "effective_from": effective_from.isoformat(), "rate_bp": rate_bp, "exempt": exempt,
            "before": {"rate_bp": before.rate_bp, "exempt": before.exempt,
                       "effective_from": before.effective_from.isoformat()} if before else None,
        })
        return rate
