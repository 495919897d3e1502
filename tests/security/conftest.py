"""Builders of the security tests: a business with one of every object a URL can name."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from django.test import Client as Browser

from glowpos.billing.models import Bill, BillLine
from glowpos.clients.models import Client
from glowpos.documents.models import Document
from glowpos.onboarding import staging
from glowpos.onboarding.models import ImportBatch
from glowpos.onboarding.services import commit_import
from glowpos.packages.models import ClientPackage
from glowpos.receipts.models import OutboxMessage, OutboxStatus
from tests import factories
from tests.onboarding.sheets import csv_bytes


@dataclass
class Premises:
    """One business's objects, each of a kind some URL names by id."""

    clinic: factories.Clinic
    client: Client
    open_bill: Bill
    open_line: BillLine
    closed_bill: Bill
    closed_line: BillLine
    document: Document
    package: ClientPackage
    message: OutboxMessage
    staged_sha: str
    batch: ImportBatch

    @property
    def branch(self):
        return self.open_bill.branch


def premises(name: str) -> Premises:
    clinic = factories.clinic(name=name)
    client = factories.client(clinic, name=f"Client of {name}")
    package = factories.sold_package(clinic, client)
    open_bill = factories.open_bill(clinic, client, ("service", clinic.service("Skin cleanup")))
    cleanup = ("service", clinic.service("Skin cleanup"))
    closed = factories.close_paid(clinic, factories.open_bill(clinic, client, cleanup))
    message = OutboxMessage.objects.filter(business=clinic.business).order_by("id").first()
    OutboxMessage.objects.filter(id=message.id).update(status=OutboxStatus.FAILED)
    data = csv_bytes([[f"Imported of {name}", f"97{clinic.business.id:08d}", "", "", "", "", "", "", "", ""]])
    batch = commit_import(by=clinic.owner, data=data, filename="clients.csv").batch
    extra = csv_bytes([[f"Waiting of {name}", f"96{clinic.business.id:08d}", "", "", "", "", "", "", "", ""]])
    sha = hashlib.sha256(extra).hexdigest()
    staging.stage(business=clinic.business, sha256=sha, data=extra, filename="waiting.csv")
    return Premises(
        clinic=clinic, client=client, open_bill=open_bill, open_line=open_bill.lines.get(),
        closed_bill=closed.bill, closed_line=closed.bill.lines.get(), document=closed.document,
        package=package, message=message, staged_sha=sha, batch=batch,
    )


def browser_of(staff, **kwargs) -> Browser:
    browser = Browser(**kwargs)
    browser.force_login(staff.user)
    return browser


@pytest.fixture
def mine(db) -> Premises:
    return premises("Mine")


@pytest.fixture
def theirs(db) -> Premises:
    return premises("Theirs")
