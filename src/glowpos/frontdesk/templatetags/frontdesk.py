"""Template helpers of the counter screens: phone numbers as people read them, the receipt
QR code (SVG, drawn on the server with segno), rupee amounts as form values."""
from __future__ import annotations

import phonenumbers
import segno
from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def phone(e164: str) -> str:
    """+919876543210 → +91 98765 43210."""
    try:
        number = phonenumbers.parse(e164 or "", "IN")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def rupees_value(paise) -> str:
    """Paise as a form field's value: 123450 → "1234.50", 100000 → "1000"."""
    rupees, rest = divmod(int(paise or 0), 100)
    return f"{rupees}.{rest:02d}" if rest else str(rupees)


@register.simple_tag
def qr_svg(data: str, scale: int = 4) -> str:
    """An inline SVG QR code (no external service, no image file)."""
    svg = segno.make(data, error="m").svg_inline(scale=scale, dark="#3d2130", light="#ffffff", border=2, omitsize=True)
    return mark_safe(svg)


SEGMENTED_METER_MAX = 12  # up to this many sessions the meter shows one block per session


@register.filter
def segments(item) -> list[str]:
    """A package item's meter, one block per session: "left", "held" (on an open bill), "used".
    Empty for large totals (the template then draws a plain bar). Works on dicts and objects."""
    get = item.get if isinstance(item, dict) else lambda k, d=0: getattr(item, k, d)
    total, remaining, held = get("total", 0), get("remaining", 0), get("held", 0)
    if not total or total > SEGMENTED_METER_MAX:
        return []
    used = total - remaining - held
    return ["left"] * remaining + ["held"] * held + ["used"] * used


@register.filter
def percent(part, whole) -> int:
    return round(100 * int(part or 0) / int(whole)) if whole else 0


@register.filter
def days_until(iso_or_date, today=None):
    """Days from today to a date (or ISO date string); negative once past."""
    from datetime import date

    from django.utils import timezone

    day = date.fromisoformat(iso_or_date) if isinstance(iso_or_date, str) else iso_or_date
    return (day - (today or timezone.localdate())).days


@register.filter
def as_date(iso: str):
    from datetime import date

    return date.fromisoformat(iso) if isinstance(iso, str) else iso


@register.filter
def get(mapping, key):
    """{{ typed|get:key }}: a value from a dict or QueryDict by a computed key."""
    return (mapping or {}).get(key, "") if hasattr(mapping, "get") else ""


@register.simple_tag(takes_context=True)
def absolute(context, path: str) -> str:
    """The full address of a path on this server, as a phone scanning the QR code needs it."""
    return context["request"].build_absolute_uri(path)
