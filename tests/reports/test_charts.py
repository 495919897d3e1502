"""Charts are SVG drawn on the server: every bar carries its exact figure, labels are escaped,
the axis reads in the clinic's units."""
from __future__ import annotations

from glowpos.reports.charts import Series, bar_chart, compact_inr, waterfall


def test_bars_carry_exact_figures_and_escaped_labels():
    svg = bar_chart(labels=["Apr <2025>", "May"], series=[Series("Cash & card", [2_400_000, 0])], label="Cash")

    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="Cash"' in svg
    assert "<title>Apr &lt;2025&gt; · Cash &amp; card: ₹24,000.00</title>" in svg
    assert svg.count("<rect class=\"s0\"") == 2  # one bar (a zero draws none) and the legend's swatch


def test_an_axis_speaks_one_unit():
    assert [compact_inr(v, scale=20_000_000) for v in (0, 5_000_000, 20_000_000)] == ["₹0", "₹0.5L", "₹2L"]
    assert (compact_inr(85_000), compact_inr(1_23_45_678), compact_inr(15_00_00_000_00)) == ("₹850", "₹1.23L", "₹15Cr")


def test_a_waterfall_steps_from_opening_to_closing():
    svg = waterfall(steps=[("Opening", 100_000, "total"), ("Sold", 50_000, "up"), ("Recognized", 30_000, "down"),
                           ("Closing", 120_000, "total")], label="Roll-forward")

    assert "<title>Sold: +₹500.00</title>" in svg and "<title>Recognized: −₹300.00</title>" in svg
    assert svg.count('class="total"') == 2
