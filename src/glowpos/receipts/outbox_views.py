"""The outbox as staff see it: every message and its state for the manager (failed ones can be
retried), the business's wording of receipt messages, revoking a receipt link. Thin views:
parse, call one service or selector, render."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from glowpos.errors import DomainError, Forbidden, NotFound
from glowpos.frontdesk.errors import problem
from glowpos.frontdesk.views import staff_view
from glowpos.onboarding.views import manager_view
from glowpos.receipts import selectors
from glowpos.receipts.messages import DEFAULTS, PLACEHOLDERS, render as render_message, wording
from glowpos.receipts.models import Channel, OutboxStatus
from glowpos.receipts.services import retry_message, revoke_receipt, save_template
from glowpos.tenancy.services import branch_scope

FILTERS = [("", "All"), (OutboxStatus.FAILED, "Failed"), (OutboxStatus.PENDING, "Waiting"),
           (OutboxStatus.SENT, "Sent"), (OutboxStatus.SKIPPED, "Not sent")]


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()) and target.startswith("/"):
        return target
    return default


@require_GET
@manager_view
def outbox(request):
    status = request.GET.get("status", "")
    if status not in OutboxStatus.values:
        status = ""
    business, branches = request.staff.business, branch_scope(request.staff)
    counts = selectors.outbox_counts(business=business, branches=branches)
    return render(request, "receipts/outbox.html", {
        "messages_list": selectors.outbox(business=business, status=status, branches=branches), "status": status,
        "counts": counts, "filters": FILTERS, "outbox_failed": counts[OutboxStatus.FAILED],
    })


@require_POST
@staff_view
def retry(request, message_id: int):
    try:
        message = retry_message(message_id=message_id, by=request.staff)
    except NotFound:
        raise  # another business's message, or none: 404 (staff_view), as for every object
    except Forbidden as exc:  # a practitioner: 403, saying why; nothing changed
        return render(request, "receipts/forbidden.html", {"problem": problem(exc)}, status=403)
    except DomainError as exc:
        messages.warning(request, problem(exc).detail)
    else:
        messages.success(request, f"The {Channel(message.channel).label} to {message.to} will be sent again now.")
    return redirect(_back(request, reverse("outbox:list")))


@require_POST
@manager_view
def revoke(request, document_id: int):
    try:
        revoke_receipt(document_id=document_id, reason=request.POST.get("reason", ""), by=request.staff)
    except NotFound:
        raise  # another business's receipt, or none: 404 (staff_view)
    except DomainError as exc:
        messages.warning(request, problem(exc).detail)
    else:
        messages.success(request, "The receipt link is revoked: it shows nothing to anyone from now on.")
    return redirect(_back(request, reverse("outbox:list")))


@manager_view
def templates(request):
    business = request.staff.business
    problem_found, channel_in_error = None, ""
    if request.method == "POST":
        channel = request.POST.get("channel", "")
        try:
            save_template(by=request.staff, channel=channel, body=request.POST.get("body", ""),
                          subject=request.POST.get("subject", ""), send_on_close=bool(request.POST.get("send_on_close")),
                          provider_template_id=request.POST.get("provider_template_id", ""))
        except DomainError as exc:
            problem_found, channel_in_error = problem(exc), channel
        else:
            messages.success(request, f"{Channel(channel).label} wording saved.")
            return redirect("outbox:templates")
    example = selectors.outbox(business=business, status=OutboxStatus.SENT, limit=1,
                               branches=branch_scope(request.staff)).first()
    channels = []
    for channel in Channel.values:
        words = wording(business, channel)
        if channel == channel_in_error:
            words = type(words)(subject=request.POST.get("subject", ""), body=request.POST.get("body", ""),
                                send_on_close=bool(request.POST.get("send_on_close")),
                                provider_template_id=request.POST.get("provider_template_id", ""))
        preview = ""
        if example is not None and channel != channel_in_error:
            subject, body = render_message(example.document, channel=channel, words=words)
            preview = f"{subject}\n\n{body}" if subject else body
        channels.append({"value": channel, "label": Channel(channel).label, "words": words, "preview": preview,
                         "default": DEFAULTS[channel], "problem": problem_found if channel == channel_in_error else None})
    counts = selectors.outbox_counts(business=business, branches=branch_scope(request.staff))
    return render(request, "receipts/wording.html", {
        "channels": channels, "placeholders": PLACEHOLDERS, "outbox_failed": counts[OutboxStatus.FAILED],
    }, status=problem_found.status if problem_found else 200)
