"""Splitting an amount of paise into parts that add up exactly.

Owns how a package's taxable value is spread over its items (by relative standalone
price, ``allocate``) and over each item's units (equally, ``allocate_units``), so that
revenue recognised session by session sums to the paisa to what was deferred at sale.

Invariants: the parts always sum to the total; each part is the floor or the ceiling of
its exact proportional share; leftover paise go by largest remainder, ties to the lower
index, so the result is deterministic; equal units differ by at most one paisa, the extra
paise on the first units. A negative total is allocated as its absolute value, negated,
so a refund mirrors its sale.
"""

from __future__ import annotations

from glowpos.money.tax import _require_int


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` paise in proportion to ``weights`` (largest remainder method).

    >>> allocate(100, [1, 1, 1])
    [34, 33, 33]
    """
    _require_int(total=total)
    for weight in weights:
        _require_int(weight=weight)
        if weight < 0:
            raise ValueError(f"weights must not be negative, got {weights}")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError(f"at least one weight must be positive, got {weights}")
    if total < 0:
        return [-share for share in allocate(-total, weights)]

    floors_and_remainders = [divmod(total * weight, weight_sum) for weight in weights]
    shares = [floor for floor, _ in floors_and_remainders]
    leftover = total - sum(shares)
    # Sorting is stable, so equal remainders keep index order: lower index first.
    by_remainder = sorted(
        range(len(weights)), key=lambda i: floors_and_remainders[i][1], reverse=True
    )
    for i in by_remainder[:leftover]:
        shares[i] += 1
    return shares


def allocate_units(total: int, units: int) -> list[int]:
    """Split ``total`` paise equally over ``units``, the extra paise on the first units.

    ₹10,000 incl. 18 % over 7 sessions: taxable 8,474.58 → 3 × 1,210.66 and 4 × 1,210.65.
    """
    _require_int(total=total, units=units)
    if units < 1:
        raise ValueError(f"units must be at least 1, got {units}")
    return [unit_value(total, units, n) for n in range(1, units + 1)]


def unit_value(total: int, units: int, n: int) -> int:
    """The value in paise of the ``n``-th (1-based) of ``units`` equal parts of ``total``.

    Lets a redemption recognise its session's revenue without building the whole list.
    """
    _require_int(total=total, units=units, n=n)
    if units < 1:
        raise ValueError(f"units must be at least 1, got {units}")
    if not 1 <= n <= units:
        raise ValueError(f"n must be between 1 and {units}, got {n}")
    if total < 0:
        return -unit_value(-total, units, n)
    base, extra = divmod(total, units)
    return base + 1 if n <= extra else base
