"""Screenshots of the import and outbox screens (docs/screenshots/import-*.png), desktop and tablet.

    .venv/bin/python docs/screenshots/take_import.py

Not a test: a throw-away demo clinic in a temporary directory (SQLite), served by runserver,
walked by the owner in Debian's Chromium (Playwright, never `playwright install`). Only
import-*.png in docs/screenshots/ are replaced.
"""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent
REPO = OUT.parents[1]
sys.path.insert(0, str(OUT))
sys.path.insert(0, str(REPO))

from take import CHROMIUM, CHROMIUM_ARGS, SIZES, demo_clinic, run, shrink  # noqa: E402


def prepare(var: Path) -> dict:
    """The demo clinic, its receipts sent (one visit's SMS failed), and a file to import."""
    demo_clinic(var)
    from django.conf import settings
    from django.utils import timezone

    from glowpos.clients.models import Client
    from glowpos.packages.models import ClientPackage, PackageStatus
    from glowpos.receipts.worker import deliver_due
    from glowpos.tenancy.models import Role, StaffMember
    from tests import factories
    from tests.onboarding.sheets import xlsx_bytes

    settings.GLOWPOS_MESSAGING = {c: {"BACKEND": "file"} for c in ("sms", "whatsapp", "email")}
    while deliver_due(batch=200):
        pass
    # One visit whose SMS gateway is down: it fails after its attempts (1 here, for the picture).
    priya = Client.objects.get(phone="+919876543210")
    package = ClientPackage.objects.filter(client=priya, status=PackageStatus.ACTIVE).first()
    desk = StaffMember.objects.get(business=priya.business, role=Role.FRONT_DESK)
    clinic = factories.Clinic(priya.business, desk, *(StaffMember.objects.get(business=priya.business, role=r)
                                                      for r in (Role.MANAGER, Role.OWNER, Role.PRACTITIONER)))
    visit = factories.redeem(clinic, package) if package else factories.close_paid(
        clinic, factories.open_bill(clinic, priya, ("service", clinic.service("Hair spa"))))
    settings.GLOWPOS_MESSAGING = {"sms": {"BACKEND": "http", "URL": "http://127.0.0.1:9/sms", "TIMEOUT": "2"}}
    settings.GLOWPOS_OUTBOX_MAX_ATTEMPTS = 1
    deliver_due()

    today = timezone.localdate()
    d = lambda days: f"{today - timedelta(days=days):%d/%m/%Y}"  # noqa: E731
    rows = [
        ["Lakshmi Menon", "98450 12345", "lakshmi@example.in", "LHR-6", "", 6, 2, 24000, d(70), ""],
        ["Divya Rao", "+91 99001 23456", "", "CLN-5", "", "", 1, "5,000", d(20), ""],
        ["Sneha Kulkarni", "099860 11223", "", "PEEL-4", "", "", 3, 12000, d(40), ""],
        ["Pooja Hegde", "9741012345", "", "Bridal glow — 2 facials, 1 peel, 3 hair spas", "", "",
         "HydraFacial 1; Hair spa 2", 35000, d(30), ""],
        ["Priya Sharma", "98765 43210", "", "", "", "", "", "", "", ""],
        ["Ritu Joshi", "9886012345", "", "Winter laser offer", "Laser hair reduction", 8, 5, 30000, d(100),
         f"{today + timedelta(days=200):%d/%m/%Y}"],
        ["Anjali Das", "98450 1234", "", "LHR-6", "", 6, 1, 24000, d(10), ""],
        ["Harini Pillai", "9900012345", "", "LHR-6", "", 6, 8, 24000, d(10), ""],
        ["Tanvi Shetty", "9845098450", "", "Diamond facial", "", 4, 0, 8000, d(10), ""],
        ["Nandini Bhat", "9632012345", "", "CLN-5", "", "", 0, 5000, f"{today + timedelta(days=5):%d/%m/%Y}", ""],
        ["Lakshmi Menon", "+91-98450-12345", "", "LHR-6", "", 6, 3, 24000, d(70), ""],
        ["Bhavana Nair", "9880098800", "", "", "", "", "", "", "", ""],
    ]
    path = var / "clinic-clients.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    (var / "scan.pdf").write_bytes(b"%PDF-1.4 not a spreadsheet")
    return {"file": path, "pdf": var / "scan.pdf", "bill": visit.bill.id}


def walk(base: str, ids: dict) -> list[str]:
    from playwright.sync_api import sync_playwright

    taken: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1).new_page()

        def shot(name: str, full: bool = False) -> None:
            for size, (w, h) in SIZES.items():
                page.set_viewport_size({"width": w, "height": h})
                page.wait_for_timeout(150)
                path = OUT / f"import-{name}-{size}.png"
                page.screenshot(path=str(path), full_page=full)
                shrink(path)
                taken.append(path.name)
            page.set_viewport_size({"width": 1280, "height": 800})

        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "owner")
        page.fill("input[name=password]", "glowpos-demo")
        page.click("button:has-text('Log in')")
        page.wait_for_url(f"{base}/")
        page.click("a.navlink:has-text('Manage')")
        page.wait_for_url(f"{base}/manage/import/")
        shot("01-upload")

        page.set_input_files("input[type=file]", str(ids["pdf"]))
        page.click("#check-file")
        page.wait_for_selector("#refusal")
        shot("02-refused")

        page.set_input_files("input[type=file]", str(ids["file"]))
        page.click("#check-file")
        page.wait_for_selector("#confirm-import")
        shot("03-preview")
        page.locator("#problems").scroll_into_view_if_needed()
        shot("04-preview-problems")
        page.goto(page.url)
        shot("05-preview-full", full=True)

        page.click("#confirm-import")
        page.wait_for_selector("#imported")
        shot("06-imported")

        page.goto(f"{base}/manage/outbox/?status=failed")
        shot("07-outbox-failed")
        page.goto(f"{base}/bills/{ids['bill']}/receipt")
        page.locator("#delivery").scroll_into_view_if_needed()
        shot("08-receipt-delivery-failed")
        page.goto(f"{base}/manage/outbox/wording/")
        shot("09-message-wording")
        browser.close()
    return taken


def main() -> None:
    run(prepare, walk, "import-*.png")


if __name__ == "__main__":
    main()
