"""Template filters of the report screens: {{ paise|drcr }} → ₹2,65,846.97 Cr."""
from django import template

from glowpos.money import format_inr

register = template.Library()


@register.filter
def drcr(paise) -> str:
    """A signed balance (debit positive) the way an accountant reads it: amount, then Dr or Cr."""
    value = int(paise or 0)
    if not value:
        return format_inr(0)
    return f"{format_inr(abs(value))} {'Dr' if value > 0 else 'Cr'}"
