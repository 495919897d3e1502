"""Screenshots of the report screens as the owner sees them, at 1280×800.

    .venv/bin/python docs/screenshots/take_reports.py    # writes docs/screenshots/reports-*.png

Not a test: like take.py it builds a throw-away demo clinic in a temporary directory
(SQLite), serves it with runserver, logs in as the owner with Debian's Chromium (Playwright,
never `playwright install`) and saves a PNG of each report screen. The periods are those of
the demo's history, which ends yesterday.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from take import CHROMIUM, CHROMIUM_ARGS, OUT, demo_database, free_port, serve, shrink  # noqa: E402


def pages(today: date) -> list[tuple[str, str]]:
    last_month_end = today.replace(day=1) - timedelta(days=1)
    last_month = f"from={last_month_end.replace(day=1)}&to={last_month_end}"
    fy_start = date(today.year if today.month >= 4 else today.year - 1, 4, 1)
    six_months = (today.replace(day=1) - timedelta(days=150)).replace(day=1)
    return [
        ("overview", "/reports/"),
        ("deferred-revenue", f"/reports/deferred-revenue/?from={fy_start}&to={today}"),
        ("liability", "/reports/liability/"),
        ("expiring", "/reports/expiring/?within=90"),
        ("redemptions", f"/reports/redemptions/?{last_month}"),
        ("revenue", f"/reports/revenue/?from={six_months}&to={today}&by=month"),
        ("gst", f"/reports/gst/?{last_month}"),
        ("documents", f"/reports/documents/?{last_month}"),
        ("trial-balance", f"/reports/trial-balance/?from={fy_start}&to={today}"),
        ("ledger", f"/reports/ledger/?account=deferred_revenue&{last_month}"),
        ("exports", f"/reports/exports/?{last_month}"),
    ]


def walk(base: str) -> list[str]:
    from playwright.sync_api import sync_playwright

    taken = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-IN").new_page()
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", "glowpos-demo")
        page.click("button:has-text('Log in')")
        page.wait_for_load_state("networkidle")
        for name, path in pages(date.today()):
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            out = OUT / f"reports-{name}.png"
            page.screenshot(path=str(out))
            shrink(out)
            taken.append(out.name)
        browser.close()
    return taken


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="glowpos-report-shots-"))
    server = None
    try:
        demo_database(var)
        port = free_port()
        server = serve(var, port)
        for name in walk(f"http://127.0.0.1:{port}"):
            print(name)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
