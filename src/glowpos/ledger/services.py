"""The only code that writes the ledger: post a balanced entry, or reverse one."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import CharField

from glowpos.db import Param, Reused, params

from glowpos.ledger.chart import CHART
from glowpos.ledger.models import Account, JournalEntry, Posting
from glowpos.tenancy.models import Branch, Business, StaffMember


class UnbalancedEntry(Exception):
    """A programming error, never a user's: an entry whose debits and credits differ."""


def ensure_chart(business: Business) -> None:
    for code, name, type_ in CHART:
        Account.objects.get_or_create(business=business, code=code, defaults={"name": name, "type": type_})


def accounts_by_code(business: Business, codes: Iterable[str]) -> dict[str, int]:
    """The business's account ids by code (postings need only the id)."""
    return dict(_ACCOUNTS.all(business_id=business.id, codes=sorted(codes)))


_ACCOUNTS = Reused(lambda codes: (  # sent at every close (ADR 0013)
    Account.objects.filter(business_id=Param("business_id"), code__in=params("codes", codes, CharField()))
    .values_list("code", "id")
))


def post(
    *,
    business: Business,
    branch: Branch,
    on: date,
    kind: str,
    memo: str,
    lines: Iterable[tuple[str, int]],
    by: StaffMember | None = None,
    document=None,
    reverses: JournalEntry | None = None,
    package=None,
    accounts: dict[str, int] | None = None,
) -> JournalEntry | None:
    """Post (account code, signed paise) lines as one entry; lines on one account are netted.

    Returns None when every line nets to zero (nothing to post, e.g. a ₹0 service).
    `accounts` (code → account id) saves the lookup when the caller posts several entries.
    """
    net: dict[str, int] = defaultdict(int)
    for code, amount in lines:
        net[code] += amount
    net = {code: amount for code, amount in net.items() if amount != 0}
    if sum(net.values()) != 0:
        raise UnbalancedEntry(f"{memo}: debits and credits differ by {sum(net.values())} paise")
    if not net:
        return None
    if accounts is None:
        accounts = accounts_by_code(business, net)
    missing = set(net) - set(accounts)
    if missing:
        raise UnbalancedEntry(f"unknown accounts {sorted(missing)}")
    # One entry is all-or-nothing; inside a business action's transaction it needs no savepoint.
    with transaction.atomic(savepoint=False):
        entry = JournalEntry.objects.create(
            business=business, branch=branch, date=on, kind=kind, memo=memo[:300],
            document=document, reverses=reverses, created_by=by, package=package,
        )
        Posting.objects.bulk_create(
            Posting(entry=entry, account_id=accounts[code], date=on, amount=amount)
            for code, amount in sorted(net.items())
        )
    return entry


def reverse(*, entry: JournalEntry, on: date, memo: str, by: StaffMember | None, document=None) -> JournalEntry:
    lines = [(p.account.code, -p.amount) for p in entry.postings.select_related("account")]
    reversal = post(
        business=entry.business, branch=entry.branch, on=on, kind=entry.kind, memo=memo,
        lines=lines, by=by, document=document, reverses=entry, package=entry.package,
    )
    assert reversal is not None
    return reversal
