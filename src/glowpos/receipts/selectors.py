"""The public receipt, found only by its unguessable token (and not once revoked); the outbox
as the manager and the receipt screen see it."""
from __future__ import annotations

from django.db.models import Count, QuerySet

from glowpos.documents.models import Document
from glowpos.errors import NotFound
from glowpos.receipts.models import OutboxMessage, OutboxStatus, RevokedReceipt
from glowpos.tenancy.models import Business


def receipt_by_token(token: str) -> Document:
    document = (
        Document.objects.select_related("branch", "business")
        .filter(receipt_token=token, revocation__isnull=True).first()
    )
    if document is None or len(token) < 20:
        raise NotFound("Receipt not found.")
    return document


def outbox(*, business: Business, status: str = "", limit: int = 200,
           branches: list[int] | None = None) -> QuerySet[OutboxMessage]:
    """The business's messages (of these branches' receipts, if given), newest first."""
    messages = OutboxMessage.objects.filter(business=business).select_related("document__client", "document__bill")
    if branches is not None:
        messages = messages.filter(document__branch_id__in=branches)
    if status:
        messages = messages.filter(status=status)
    return messages.order_by("-created_at", "-id")[:limit]


def outbox_counts(*, business: Business, branches: list[int] | None = None) -> dict[str, int]:
    messages = OutboxMessage.objects.filter(business=business)
    if branches is not None:
        messages = messages.filter(document__branch_id__in=branches)
    rows = messages.values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in OutboxStatus.values}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


def deliveries(*, document: Document) -> list[OutboxMessage]:
    """Every message that carried (or will carry) this receipt, oldest first."""
    return list(OutboxMessage.objects.filter(document=document).order_by("id"))


def revocation(document: Document) -> RevokedReceipt | None:
    return RevokedReceipt.objects.select_related("by__user").filter(document=document).first()
