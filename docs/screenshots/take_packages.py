"""Screenshots of a package's life at the counter (docs/screenshots/pkg-*.png), desktop and tablet.

    .venv/bin/python docs/screenshots/take_packages.py

Not a test: a throw-away demo clinic in a temporary directory (SQLite), served by runserver,
walked by the front desk and the manager in Debian's Chromium (Playwright, never `playwright
install`). Only pkg-*.png in docs/screenshots/ are replaced.
"""
from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent
REPO = OUT.parents[1]
sys.path.insert(0, str(OUT))
sys.path.insert(0, str(REPO))

from take import CHROMIUM, CHROMIUM_ARGS, SIZES, demo_clinic, run, shrink  # noqa: E402

PASSWORD = "glowpos-demo"


def prepare(var: Path) -> dict:
    """The demo clinic; Priya also holds a credit package, a membership, a frozen and a
    cancelled package, and shares her laser course with her sister."""
    demo_clinic(var)
    from glowpos.billing import services as billing
    from glowpos.catalog.models import PackagePlan
    from glowpos.clients.models import Client
    from glowpos.clients.services import create_client
    from glowpos.packages import services as packages
    from glowpos.packages.models import ClientPackage
    from glowpos.tenancy.models import StaffMember

    desk = StaffMember.objects.get(user__username="frontdesk")
    manager = StaffMember.objects.get(user__username="manager")
    priya = Client.objects.get(phone="+919876543210")

    def sell(code: str, method: str = "upi") -> ClientPackage:
        bill = billing.open_bill(client_id=priya.id, by=desk)
        billing.add_package_sale(bill_id=bill.id, plan_id=PackagePlan.objects.get(
            business=desk.business, code=code).id, by=desk)
        billing.close_bill(bill_id=bill.id, payments=[{"method": method, "amount": billing.bill_totals(bill).total}],
                           idempotency_key=f"shots-{bill.id}", by=desk)
        return ClientPackage.objects.get(sale_bill=bill)

    sell("GLOW-12K", "card")
    sell("GLOW-CLUB")
    frozen = sell("CLN-5")
    packages.freeze_package(package_id=frozen.id, reason="Travelling to Singapore for six weeks", by=manager)
    cancelled = sell("PEEL-4")
    packages.cancel_package(package_id=cancelled.id, reason="Skin too sensitive for peels", method="upi", by=manager)
    laser = ClientPackage.objects.filter(client=priya, plan__code="LHR-6").order_by("id").first()
    riya = create_client(by=desk, name="Riya Sharma", phone="9123405678")
    packages.share_package(package_id=laser.id, client_id=riya.id, by=desk)
    create_client(by=desk, name="Kavya Sharma", phone="9988005678")
    return {"priya": priya.id, "riya": riya.id, "laser": laser.id, "frozen": frozen.id}


def walk(base: str, ids: dict) -> list[str]:
    from playwright.sync_api import sync_playwright

    taken: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def login(username: str):
            context = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
            page = context.new_page()
            page.goto(f"{base}/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button:has-text('Log in')")
            page.wait_for_url(f"{base}/")
            return page

        def shot(page, name: str, full: bool = False) -> None:
            for size, (w, h) in SIZES.items():
                page.set_viewport_size({"width": w, "height": h})
                page.evaluate("window.scrollTo(0, 0)")
                page.wait_for_timeout(150)
                path = OUT / f"pkg-{name}-{size}.png"
                page.screenshot(path=str(path), full_page=full)
                shrink(path)
                taken.append(path.name)
            page.set_viewport_size({"width": 1280, "height": 800})

        desk, office = login("frontdesk"), login("manager")

        desk.goto(f"{base}/clients/{ids['priya']}/")
        shot(desk, "01-profile-every-kind", full=True)

        desk.goto(f"{base}/packages/{ids['laser']}/")
        shot(desk, "02-history-front-desk", full=True)
        desk.click("#change-freeze summary")
        desk.fill("#change-freeze input[name=reason]", "Travelling")
        shot(desk, "03-freeze-needs-a-manager", full=True)

        office.goto(f"{base}/packages/{ids['laser']}/")
        office.click("#change-cancel summary")
        shot(office, "04-cancel-shows-the-refund-first", full=True)
        office.click("#change-cancel summary")
        office.goto(f"{base}/packages/{ids['laser']}/?transfer_q=5678")
        shot(office, "05-transfer-search-by-phone", full=True)

        office.goto(f"{base}/packages/{ids['frozen']}/")
        shot(office, "06-frozen-unfreeze", full=True)

        desk.goto(f"{base}/clients/{ids['riya']}/")
        shot(desk, "10-shared-with-family", full=True)
        desk.click("button:has-text('Start a bill')")
        desk.wait_for_url("**/bills/*/")
        desk.click("button.pick:has-text('Hair spa')")
        desk.wait_for_selector("tr.line.service")
        desk.click("#change-void summary")
        shot(desk, "11-bill-void-needs-a-manager", full=True)

        # The counter has the profile open; the manager freezes laser meanwhile; Redeem is refused.
        desk.goto(f"{base}/clients/{ids['priya']}/")
        office.goto(f"{base}/packages/{ids['laser']}/")
        office.click("#change-freeze summary")
        office.fill("#change-freeze input[name=reason]", "Doctor's advice: pause for a month")
        office.click("button:has-text('Freeze the package')")
        office.wait_for_selector(".flash")
        shot(office, "07-frozen-by-the-manager", full=True)
        desk.click(f"#package-{ids['laser']} [data-redeem]")
        desk.wait_for_selector(".problem")
        shot(desk, "08-redeem-refused-frozen", full=True)
        office.fill("#change-unfreeze input[name=reason]", "Cleared by the doctor")
        office.click("button:has-text('Unfreeze the package')")
        office.wait_for_selector(".flash")

        office.goto(f"{base}/packages/{ids['laser']}/")
        office.click("#change-cancel summary")
        office.click("#change-cancel label.choice:has-text('UPI')")
        office.fill("#change-cancel input[name=reason]", "Moving to Delhi")
        office.click("#change-cancel button.danger")
        office.wait_for_selector(".flash")
        shot(office, "09-cancelled-credit-note", full=True)


        office.goto(f"{base}/")
        shot(office, "12-nav-keeps-reports-and-manage")
        browser.close()
    return taken


def main() -> None:
    run(prepare, walk, "pkg-*.png")


if __name__ == "__main__":
    main()
