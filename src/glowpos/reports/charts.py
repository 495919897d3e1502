"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, prints and screenshots
as it looks. Colours come from CSS classes (reports.css: .s0, .s1 … and .up/.down/.total),
every bar carries a <title> with its exact figure, and each chart has an aria-label; the
table under each chart holds the same numbers for screen readers and for copying."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from glowpos.money import format_inr


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


UNITS = ((1e7, "Cr"), (1e5, "L"), (1e3, "K"))


def compact_inr(paise: int, *, scale: float | None = None) -> str:
    """Labels in the clinic's words: ₹850, ₹12K, ₹3.4L, ₹1.2Cr. With `scale` (the largest
    figure on an axis) every tick uses that figure's unit: ₹0.5L beside ₹1L, not ₹50K."""
    if not paise:
        return "₹0"
    rupees = abs(paise) / 100
    sign = "-" if paise < 0 else ""
    basis = abs(scale) / 100 if scale is not None else rupees
    for size, suffix in UNITS:
        if basis >= size:
            text = f"{rupees / size:.2f}".rstrip("0").rstrip(".")
            return f"{sign}₹{text}{suffix}"
    return f"{sign}₹{rupees:.0f}"


def _nice_step(span: float, ticks: int = 4) -> float:
    raw = span / ticks if span > 0 else 1
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def _scale(values: Sequence[int]) -> tuple[float, float, float]:
    lo, hi = min([0, *values]), max([0, *values])
    if lo == hi:
        hi = lo + 100  # an empty chart still gets an axis
    step = _nice_step(hi - lo)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step



def _frame(*, label: str, width: int, height: int, left: int, right: int, y: Callable[[float], float],
           lo: float, hi: float, step: float, fmt: Callable[[int], str]) -> list[str]:
    """The opening <svg> and its horizontal grid with axis labels, shared by every chart."""
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
             f'xmlns="http://www.w3.org/2000/svg">']
    tick = lo
    while tick <= hi + step / 2:
        parts.append(f'<line class="grid{" zero" if tick == 0 else ""}" x1="{left}" x2="{width - right}" '
                     f'y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>')
        parts.append(f'<text class="axis" x="{left - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">'
                     f'{escape(fmt(int(tick)))}</text>')
        tick += step
    return parts

def bar_chart(*, labels: Sequence[str], series: Sequence[Series], label: str, money: bool = True,
              width: int = 1120, height: int = 260, label_values: bool = False) -> SafeString:
    """Grouped vertical bars, one group per label, one bar per series; `label_values` writes
    each bar's exact figure above it (for a handful of bars)."""
    values = [v for s in series for v in s.values]
    lo, hi, step = _scale(values)
    widest = max(abs(lo), abs(hi))
    fmt: Callable[[int], str] = (lambda v: compact_inr(v, scale=widest)) if money else (lambda v: f"{v:,}")
    full: Callable[[int], str] = format_inr if money else (lambda v: f"{v:,}")
    left, right, top, bottom = 72, 8, 30, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    y = lambda v: top + plot_h * (hi - v) / (hi - lo)  # noqa: E731
    parts = _frame(label=label, width=width, height=height, left=left, right=right, y=y,
                   lo=lo, hi=hi, step=step, fmt=fmt)
    n = max(len(labels), 1)
    group = plot_w / n
    bar = group * 0.78 / max(len(series), 1)
    every = max(1, math.ceil(n / 14))
    for i, text in enumerate(labels):
        x0 = left + i * group + group * 0.11
        for j, s in enumerate(series):
            v = s.values[i]
            y1, y2 = sorted((y(v), y(0)))
            if v:
                parts.append(f'<rect class="s{j}" x="{x0 + j * bar:.1f}" y="{y1:.1f}" width="{max(bar - 1, 1):.1f}" '
                             f'height="{max(y2 - y1, 0.5):.1f}"><title>{escape(text)} · {escape(s.name)}: '
                             f'{escape(full(v))}</title></rect>')
            if label_values:
                parts.append(f'<text class="value" x="{x0 + j * bar + bar / 2:.1f}" y="{y1 - 6:.1f}" '
                             f'text-anchor="middle">{escape(full(v) if money else f"{v:,}")}</text>')
        if i % every == 0:
            parts.append(f'<text class="axis" x="{left + i * group + group / 2:.1f}" y="{height - bottom + 18}" '
                         f'text-anchor="middle">{escape(text)}</text>')
    x = left
    for j, s in enumerate(series):
        parts.append(f'<rect class="s{j}" x="{x}" y="6" width="12" height="12" rx="2"/>'
                     f'<text class="legend" x="{x + 18}" y="16">{escape(s.name)}</text>')
        x += 34 + 9 * len(s.name)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def waterfall(*, steps: Sequence[tuple[str, int, str]], label: str, width: int = 1120,
              height: int = 260) -> SafeString:
    """Opening, then each movement up or down from where the last one ended, then closing.
    `steps`: (label, paise, "total" | "up" | "down"); an up or down step's paise are positive."""
    left, right, top, bottom = 72, 8, 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    level, spans = 0, []
    for text, value, kind in steps:
        if kind == "total":
            spans.append((text, 0, value, kind, value))
            level = value
        else:
            nxt = level + value if kind == "up" else level - value
            spans.append((text, level, nxt, kind, value))
            level = nxt
    lo, hi, step = _scale([v for _, a, b, _, _ in spans for v in (a, b)])
    widest = max(abs(lo), abs(hi))
    y = lambda v: top + plot_h * (hi - v) / (hi - lo)  # noqa: E731
    parts = _frame(label=label, width=width, height=height, left=left, right=right, y=y,
                   lo=lo, hi=hi, step=step, fmt=lambda v: compact_inr(v, scale=widest))
    slot = plot_w / max(len(spans), 1)
    for i, (text, a, b, kind, value) in enumerate(spans):
        y1, y2 = sorted((y(a), y(b)))
        x = left + i * slot + slot * 0.18
        sign = {"up": "+", "down": "−"}.get(kind, "") if value else ""
        parts.append(f'<rect class="{kind}" x="{x:.1f}" y="{y1:.1f}" width="{slot * 0.64:.1f}" '
                     f'height="{max(y2 - y1, 0.5):.1f}"><title>{escape(text)}: {sign}{escape(format_inr(value))}'
                     f'</title></rect>')
        parts.append(f'<text class="value" x="{x + slot * 0.32:.1f}" y="{y1 - 5:.1f}" text-anchor="middle">'
                     f'{sign}{escape(compact_inr(value))}</text>')
        parts.append(f'<text class="axis" x="{x + slot * 0.32:.1f}" y="{height - bottom + 18}" '
                     f'text-anchor="middle">{escape(text)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
