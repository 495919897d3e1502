"""`python -m bench counter --clients N`: what the front desk feels, measured at the server.

Times the search-as-you-type partial (GET /search?q=<last 4 digits>, as htmx sends it) and the
Redeem click (POST /clients/<id>/redeem, which opens or reuses her bill and holds a session)
through Django's full request stack (middleware, session auth, templates), with N clients in
the business. Prints p50/p95; asserts nothing.
"""
from __future__ import annotations

import random
import time

from django.db import connection
from django.test import Client as Browser
from django.test.utils import setup_test_environment
from django.urls import reverse

from glowpos.billing import services as billing
from glowpos.clients.models import Client


def run(clients: int, samples: int, percentiles) -> None:
    from tests.factories import clinic, sold_package

    setup_test_environment()  # lets the test client through ALLOWED_HOSTS ("testserver")
    c = clinic(name=f"Bench counter {time.time_ns()}")
    rng = random.Random(5)
    numbers = rng.sample(range(6_000_000_000, 9_999_999_999), clients)
    Client.objects.bulk_create(
        (Client(business=c.business, name=f"Client {i}", phone=f"+91{n}", phone_reversed=str(n)[::-1])
         for i, n in enumerate(numbers)),
        batch_size=5000,
    )
    regulars = list(Client.objects.filter(business=c.business).order_by("id")[:samples])
    packages = [sold_package(c, who) for who in regulars]
    browser = Browser()
    browser.force_login(c.front_desk.user)
    htmx = {"HTTP_HX_REQUEST": "true"}

    def timed(fn) -> list[float]:
        out = []
        for i in range(samples):
            t0 = time.perf_counter()
            response = fn(i)
            out.append(time.perf_counter() - t0)
            assert response.status_code in (200, 302), response.status_code
        return out

    search = timed(lambda i: browser.get(reverse("frontdesk:search"), {"q": str(numbers[i])[-4:]}, **htmx))
    redeem = timed(lambda i: browser.post(
        reverse("frontdesk:redeem", args=[packages[i].client_id]),
        {"package_id": packages[i].id, "service_id": packages[i].entitlements.first().service_id},
    ))
    for bill in billing.Bill.objects.filter(business=c.business, status="open"):
        billing.void_bill(bill_id=bill.id, reason="bench", by=c.manager)
    print(f"front desk at {clients:,} clients ({connection.vendor}), {samples} samples each")
    print(f"  search partial : {percentiles(search)}")
    print(f"  redeem click   : {percentiles(redeem)}")
