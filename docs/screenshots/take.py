"""Screenshots of every front-desk screen, at a desktop (1280×800) and a tablet (768×1024) size.

    .venv/bin/python docs/screenshots/take.py            # writes docs/screenshots/[0-9][0-9]-*.png

Not a test: it builds a throw-away demo clinic in a temporary directory (SQLite), serves it
with runserver, walks one visit with Debian's Chromium (Playwright, never `playwright install`)
and saves a PNG of each screen at both sizes. Nothing outside the temporary directory and
docs/screenshots/ is touched.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

OUT = Path(__file__).resolve().parent
REPO = OUT.parents[1]
SIZES = {"desktop": (1280, 800), "tablet": (768, 1024)}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_clinic(var: Path) -> None:
    """Django on a fresh SQLite file in `var`, migrated, with the demo clinic loaded: where
    every screenshot script starts."""
    os.environ["GLOWPOS_VAR_DIR"] = str(var)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glowpos.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo")


def demo_database(var: Path) -> dict:
    """Migrate and load the demo clinic into `var`; return the ids the walk needs."""
    demo_clinic(var)
    from django.db.models import F

    from glowpos.clients.models import Client
    from glowpos.packages.models import ClientPackage, Entitlement, PackageStatus, Redemption

    exhausted = ClientPackage.objects.filter(status=PackageStatus.EXHAUSTED).order_by("id").first()
    from django.utils import timezone

    today = timezone.localdate()  # active and in its dates: the nightly expiry may not have run
    candidates = (Entitlement.objects.filter(package__status=PackageStatus.ACTIVE, package__expires_on__gte=today,
                                             package__purchased_on__lte=today,
                                             used_units=F("total_units") - 1, held_units=0)
                  .exclude(package__client__phone="+919876543210").select_related("service").order_by("id"))

    def due(e) -> bool:  # her last session of the service is at least its minimum interval ago
        last_at = (Redemption.objects.filter(entitlement__package__client_id=e.package.client_id,
                                             entitlement__service=e.service, status="posted")
                   .order_by("-posted_at").values_list("posted_at", flat=True).first())
        return last_at is None or (today - timezone.localdate(last_at)).days >= e.service.min_interval_days

    last = next((e for e in candidates if due(e)), None)
    multi = ClientPackage.objects.filter(plan__kind__in=["multi", "value"]).order_by("-plan__kind", "id").first()
    taken = {p[-4:] for p in Client.objects.values_list("phone", flat=True)}
    return {
        "unknown_last4": next(f"{n:04d}" for n in range(10000) if f"{n:04d}" not in taken),
        "priya": Client.objects.get(phone="+919876543210").id,
        "multi_client": multi.client_id if multi else None,
        "exhausted_client": exhausted.client_id if exhausted else None,
        "last_session_client": last.package.client_id if last else None,
    }


def serve(var: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "GLOWPOS_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "glowpos", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("runserver did not start")


def shrink(path: Path) -> None:
    """A 256-colour palette keeps UI screenshots sharp at a third of the size (if Pillow is there)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def walk(base: str, ids: dict) -> list[str]:
    from playwright.sync_api import sync_playwright

    taken: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
        page = context.new_page()

        def shot(name: str) -> None:
            for size, (w, h) in SIZES.items():
                page.set_viewport_size({"width": w, "height": h})
                page.wait_for_timeout(120)
                path = OUT / f"{name}-{size}.png"
                page.screenshot(path=str(path))
                shrink(path)
                taken.append(path.name)
            page.set_viewport_size({"width": 1280, "height": 800})

        page.goto(f"{base}/login/")
        shot("01-login")
        page.fill("input[name=username]", "frontdesk")
        page.fill("input[name=password]", "wrong-password")
        page.click("button:has-text('Log in')")
        shot("02-login-refused")
        page.fill("input[name=username]", "frontdesk")
        page.fill("input[name=password]", "glowpos-demo")
        page.click("button:has-text('Log in')")
        page.wait_for_url(f"{base}/")
        shot("03-home")

        page.fill("#q", "3210")
        page.wait_for_selector("#search-results [role=option]")
        shot("04-search")
        page.press("#q", "Enter")
        page.wait_for_url(f"{base}/clients/{ids['priya']}/")
        shot("05-profile")

        page.click("[data-redeem] >> nth=0")
        page.wait_for_selector("tr.line.redemption")
        shot("06-bill-redeemed")
        page.select_option("tr.line.redemption select[name=practitioner_id]", index=1)
        page.wait_for_selector("tr.line.redemption select[name=practitioner_id] option[selected]", state="attached")
        shot("06b-bill-performed-by")

        page.click("button.pick:has-text('Vitamin C serum')")
        page.wait_for_selector("tr.line.product")
        page.fill("input[name=pay_card]", "1000")
        page.fill("input[name=cash_received]", "500")
        shot("07-bill-split-payment")

        page.fill("input[name=pay_cash]", "100")
        page.click("#close-bill")
        page.wait_for_selector(".problem")
        shot("08-bill-payment-refused")

        page.click("[data-rest=pay_cash]")
        page.click("#close-bill")
        page.wait_for_selector("#doc-number")
        shot("09-receipt")

        if ids["last_session_client"]:
            other = context.new_page()
            url = f"{base}/clients/{ids['last_session_client']}/"
            page.goto(url)
            other.goto(url)
            other.click("[data-redeem] >> nth=0")
            other.wait_for_selector("tr.line.redemption")
            other.close()
            page.click("[data-redeem] >> nth=0")
            page.wait_for_selector(".problem")
            shot("10-redeem-refused-last-session-taken")
        if ids["exhausted_client"]:
            page.goto(f"{base}/clients/{ids['exhausted_client']}/")
            shot("11-profile-exhausted-package")
        if ids["multi_client"]:
            page.goto(f"{base}/clients/{ids['multi_client']}/")
            shot("11b-profile-bundle-or-credit-package")

        page.goto(f"{base}/")
        page.fill("#q", ids["unknown_last4"])
        page.wait_for_selector("#add-client")
        shot("12-search-no-match")
        page.click("#add-client")
        page.wait_for_selector("input[name=name]")
        shot("13-add-client")

        page.goto(f"{base}/clients/{ids['priya']}/")  # laser again, the same day: too soon
        page.click("[data-redeem] >> nth=0")
        page.wait_for_selector(".override")
        shot("14-redeem-too-soon-override")

        page.goto(f"{base}/")
        shot("15-home-after-visits")
        browser.close()
    return taken


def run(prepare, walk, pattern: str) -> None:
    """A scratch copy of the demo (`prepare` makes it and returns the ids the walk needs), served
    on a free port; the PNGs matching `pattern` are replaced by what `walk` takes."""
    var = Path(tempfile.mkdtemp(prefix="glowpos-shots-"))
    try:
        ids = prepare(var)
        port = free_port()
        server = serve(var, port)
        try:
            for old in OUT.glob(pattern):
                old.unlink()
            taken = walk(f"http://127.0.0.1:{port}", ids)
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        shutil.rmtree(var, ignore_errors=True)
    print(f"{len(taken)} screenshots in {OUT.relative_to(REPO)}/")


def main() -> None:
    run(demo_database, walk, "[0-9][0-9]-*.png")


if __name__ == "__main__":
    main()
