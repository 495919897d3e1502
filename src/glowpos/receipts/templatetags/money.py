"""Template filters for money: {{ paise|inr }} → ₹1,23,456.78; {{ bp|rate }} → 18%."""
from django import template

from glowpos.money import format_inr

register = template.Library()


@register.filter
def inr(paise) -> str:
    return format_inr(int(paise or 0))


@register.filter
def rate(bp) -> str:
    bp = int(bp or 0)
    whole, frac = divmod(bp, 100)
    return f"{whole}%" if not frac else f"{whole}.{frac:02d}".rstrip("0") + "%"


@register.filter
def half_rate(bp) -> str:
    return rate(int(bp or 0) // 2)
