"""Package lifecycle endpoints: freeze, unfreeze, extend, cancel with refund, transfer, share,
unshare, and a package's history. Thin: parse, call one service, answer with the package."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Router, Schema
from pydantic import Field

from glowpos.api.schemas import Id
from glowpos.errors import NotFound
from glowpos.packages import services as packages
from glowpos.packages.models import ClientPackage
from glowpos.packages.selectors import package_data

router = Router(tags=["packages"])
Reason = Annotated[str, Field(min_length=1, max_length=300)]


class ReasonIn(Schema):
    reason: Reason


class ExtendIn(Schema):
    expires_on: date
    reason: Reason


class CancelIn(Schema):
    reason: Reason
    method: Literal["cash", "card", "upi"]


class TransferIn(Schema):
    to_client_id: Id
    reason: Reason


class ShareIn(Schema):
    client_id: Id


def _package(request, package_id: int) -> dict:
    package = (
        ClientPackage.objects.select_related("plan").prefetch_related("entitlements__service")
        .filter(business=request.staff.business, id=package_id).first()
    )
    if package is None:
        raise NotFound("Package not found.")
    data = package_data(package, on=timezone.localdate())
    data["client_id"] = package.client_id
    data["shared_with"] = list(package.shares.values_list("client_id", flat=True))
    data["history"] = [
        {"kind": e.kind, "at": timezone.localtime(e.at).isoformat(), "by": e.by.user.username if e.by else None,
         "reason": e.reason, "data": e.data}
        for e in package.events.select_related("by__user")
    ]
    return data


@router.get("/{package_id}")
def get_package(request, package_id: Id) -> dict:
    return _package(request, package_id)


@router.post("/{package_id}/freeze")
def freeze(request, package_id: Id, payload: ReasonIn) -> dict:
    packages.freeze_package(package_id=package_id, reason=payload.reason, by=request.staff)
    return _package(request, package_id)


@router.post("/{package_id}/unfreeze")
def unfreeze(request, package_id: Id, payload: ReasonIn) -> dict:
    packages.unfreeze_package(package_id=package_id, reason=payload.reason, by=request.staff)
    return _package(request, package_id)


@router.post("/{package_id}/extend")
def extend(request, package_id: Id, payload: ExtendIn) -> dict:
    packages.extend_package(package_id=package_id, expires_on=payload.expires_on, reason=payload.reason,
                            by=request.staff)
    return _package(request, package_id)


@router.post("/{package_id}/cancel")
def cancel(request, package_id: Id, payload: CancelIn) -> dict:
    result = packages.cancel_package(package_id=package_id, reason=payload.reason, method=payload.method,
                                     by=request.staff)
    return {
        "package": _package(request, package_id),
        "refund": {k: result[k] for k in ("unused_gross", "fee", "refund")}, "currency": "INR",
        "credit_note": result["credit_note"].number if result["credit_note"] else None,
        "refund_voucher": result["refund_voucher"].number,
    }


@router.post("/{package_id}/transfer")
def transfer(request, package_id: Id, payload: TransferIn) -> dict:
    new = packages.transfer_package(package_id=package_id, to_client_id=payload.to_client_id,
                                    reason=payload.reason, by=request.staff)
    return {"from": _package(request, package_id), "to": _package(request, new.id)}


@router.post("/{package_id}/share")
def share(request, package_id: Id, payload: ShareIn) -> dict:
    packages.share_package(package_id=package_id, client_id=payload.client_id, by=request.staff)
    return _package(request, package_id)


@router.post("/{package_id}/unshare")
def unshare(request, package_id: Id, payload: ShareIn) -> dict:
    """The family member may no longer redeem it (refused while she has a session of it held
    on an open bill)."""
    packages.unshare_package(package_id=package_id, client_id=payload.client_id, by=request.staff)
    return _package(request, package_id)
