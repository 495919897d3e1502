"""The counter screens. Each view parses the request, calls one service or selector, renders.

Refusals (DomainError) are shown on the same screen with what was typed kept, via
`_refused`; errors.py holds the words. NotFound — including another business's ids — is a 404.
htmx requests get the changed fragment; plain requests get a full page or a redirect.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from glowpos.audit import services as audit
from glowpos.billing import services as billing
from glowpos.billing.models import BillStatus
from glowpos.billing.services import closing_document as closing_document_of
from glowpos.clients.phones import digits_of, looks_like_phone
from glowpos.clients.selectors import find_clients
from glowpos.clients.services import create_client
from glowpos.errors import DomainError, NotFound, ValidationFailed
from glowpos.frontdesk import selectors as screens
from glowpos.frontdesk import services as counter
from glowpos.frontdesk.errors import problem
from glowpos.frontdesk.forms import CREDIT, METHODS, parse_payments
from glowpos.money import format_inr
from glowpos.packages.selectors import credit_available
from glowpos.packages import services as packages
from glowpos.packages.models import ClientPackage
from glowpos.packages.services import apply_package
from glowpos.receipts.services import enqueue_receipt
from glowpos.tenancy.errors import BadCredentials
from glowpos.tenancy.services import COUNTER, authenticate_staff

CHANNELS = {"sms": "SMS", "whatsapp": "WhatsApp", "email": "email"}


def staff_view(view):
    """Logged in, and a staff member of a business; ids of other businesses are 404s."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('frontdesk:login')}?next={request.get_full_path()}")
        staff = getattr(request.user, "staff", None)
        if staff is None:
            return render(request, "frontdesk/no_staff.html", status=403)
        request.staff = staff
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None

    return wrapper


def _id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed("Pick an item from the list.", fields={"id": "Missing."}) from None
    if number <= 0:
        raise ValidationFailed("Pick an item from the list.", fields={"id": "Invalid."})
    return number


def _refused(request, template: str, context: dict, exc: DomainError) -> HttpResponse:
    """The same screen again, with the refusal on top and the typed values in `typed`."""
    found = problem(exc)
    return render(request, template, {**context, "problem": found, "typed": request.POST, "attempt": request.POST},
                  status=found.status)


# Logging in and out ------------------------------------------------------------------------

def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    context = {"next": next_url}
    if request.method == "POST":
        username = request.POST.get("username", "").strip()[:150]
        try:
            staff = authenticate_staff(username=username, password=request.POST.get("password", ""),
                                       address=request.META.get("REMOTE_ADDR", "")[:64])
        except DomainError as exc:
            return render(request, "frontdesk/login.html",
                          {**context, "problem": problem(exc), "username": username}, status=exc.status)
        login(request, staff.user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url or "frontdesk:home")
    return render(request, "frontdesk/login.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("frontdesk:login")


# The day, and finding a client -------------------------------------------------------------

@require_GET
@staff_view
def home(request):
    return render(request, "frontdesk/home.html", screens.today(staff=request.staff))


@require_GET
@staff_view
def search(request):
    query = request.GET.get("q", "").strip()[:100]
    context = {"q": query, "clients": [], "hint": ""}
    if query:
        try:
            context["clients"] = list(find_clients(business=request.staff.business, query=query, limit=8))
        except ValidationFailed as exc:
            context["hint"] = exc.detail.split(": ", 1)[-1].capitalize()
    context["new_client_url"] = _new_client_url(query)
    if request.htmx:
        return render(request, "frontdesk/_search_results.html", context)
    if context["clients"]:
        return redirect("frontdesk:client", client_id=context["clients"][0].id)  # Enter opens the first
    return render(request, "frontdesk/search.html", context)


def _new_client_url(query: str) -> str:
    if not query:
        return reverse("frontdesk:client_new")
    field = "phone" if looks_like_phone(query) else "name"
    return f"{reverse('frontdesk:client_new')}?{urlencode({field: query})}"


@staff_view
def client_new(request):
    if request.method == "POST":
        try:
            client = create_client(by=request.staff, name=request.POST.get("name", ""),
                                   phone=request.POST.get("phone", ""), email=request.POST.get("email", ""))
        except DomainError as exc:
            context = {"existing_id": exc.extra.get("existing_id"), "focus": _first_field(request.POST, exc.fields)}
            return _refused(request, "frontdesk/client_new.html", context, exc)
        messages.success(request, f"{client.name} added.")
        return redirect("frontdesk:client", client_id=client.id)
    return render(request, "frontdesk/client_new.html",
                  {"typed": request.GET, "focus": _first_field(request.GET, {})})


def _first_field(typed, wrong: dict) -> str:
    """Where the cursor goes: the first field in error, else the phone until it looks whole."""
    for name in ("phone", "name", "email"):
        if name in wrong:
            return name
    return "name" if len(digits_of(typed.get("phone", ""))) >= 10 and not typed.get("name") else "phone"


# The client's profile: packages, redeem in one click ----------------------------------------

@require_GET
@staff_view
def client(request, client_id: int):
    return render(request, "frontdesk/client.html", screens.profile(staff=request.staff, client_id=client_id))


def _approver(request):
    """A manager approving at this terminal (minimum-interval override): checked like a login,
    throttled like one. None when no manager's username was typed."""
    username = request.POST.get("approver_username", "").strip()[:150]
    if not username:
        return None
    try:
        return authenticate_staff(username=username, password=request.POST.get("approver_password", ""),
                                  address=request.META.get("REMOTE_ADDR", "")[:64])
    except BadCredentials:  # recorded against the manager's login like any failure
        raise ValidationFailed("The manager's username or password is wrong.",
                               fields={"approver_username": "Wrong username or password."}) from None


@require_POST
@staff_view
def redeem(request, client_id: int):
    try:
        line = counter.redeem(client_id=client_id, package_id=_id(request.POST.get("package_id")),
                              service_id=_id(request.POST.get("service_id")), by=request.staff,
                              override_reason=request.POST.get("override_reason", "")[:300],
                              approver=_approver(request))
    except DomainError as exc:  # the profile raises NotFound (→ 404) for another business's client
        return _refused(request, "frontdesk/client.html",
                        screens.profile(staff=request.staff, client_id=client_id), exc)
    return redirect("frontdesk:bill", bill_id=line.bill_id)


@require_POST
@staff_view
def start_bill(request, client_id: int):
    try:
        bill = counter.bill_for(client_id=client_id, by=request.staff)
    except DomainError as exc:
        return _refused(request, "frontdesk/client.html",
                        screens.profile(staff=request.staff, client_id=client_id), exc)
    return redirect("frontdesk:bill", bill_id=bill.id)


# The bill: lines, payment, close -----------------------------------------------------------

def _bill_context(request, bill_id: int) -> dict:
    context = screens.bill_screen(staff=request.staff, bill_id=bill_id)
    # Generated when the page renders: a double click, or a retry after a timeout, sends the
    # same key and gets the same document back instead of closing twice.
    context["idempotency_key"] = f"desk-{uuid.uuid4().hex}"
    context["methods"] = METHODS
    context["can"] = {"void": request.staff.role in COUNTER, "needs_manager": not request.staff.is_manager}
    credit = credit_available(context["bill"].client, on=timezone.localdate())
    if credit:
        # Spent at face value; the bonus in it becomes a discount when the bill closes.
        context["methods"] = (*METHODS, (CREDIT[0], f"{CREDIT[1]} ({format_inr(credit)} left)"))
    return context


@require_GET
@staff_view
def bill(request, bill_id: int):
    context = _bill_context(request, bill_id)
    if context["bill"].status == BillStatus.CLOSED:
        return redirect("frontdesk:receipt", bill_id=bill_id)
    return render(request, "frontdesk/bill.html", context)


def _bill_changed(request, bill_id: int, exc: DomainError | None = None) -> HttpResponse:
    if exc is None and not request.htmx:
        return redirect("frontdesk:bill", bill_id=bill_id)
    template = "frontdesk/_bill.html" if request.htmx else "frontdesk/bill.html"
    context = _bill_context(request, bill_id)
    if exc is None:
        return render(request, template, context)
    found = problem(exc)
    return render(request, template, {**context, "problem": found, "attempt": request.POST}, status=found.status)


def _add(kind: str, *, bill_id: int, post, by):
    item = _id(post.get("id"))
    if kind == "service":
        return billing.add_service(bill_id=bill_id, service_id=item, by=by)
    if kind == "product":
        return billing.add_product(bill_id=bill_id, product_id=item, by=by)
    if kind == "plan":
        return billing.add_package_sale(bill_id=bill_id, plan_id=item, by=by)
    if kind == "redemption":
        return apply_package(bill_id=bill_id, package_id=item, service_id=_id(post.get("service_id")), by=by)
    raise ValidationFailed("Pick a service, product, package or session to add.", fields={"kind": "Unknown."})


@require_POST
@staff_view
def add_line(request, bill_id: int):
    try:
        _add(request.POST.get("kind", ""), bill_id=bill_id, post=request.POST, by=request.staff)
    except DomainError as exc:  # the bill screen raises NotFound (→ 404) for another business's bill
        return _bill_changed(request, bill_id, exc)
    return _bill_changed(request, bill_id)


@require_POST
@staff_view
def remove_line(request, bill_id: int, line_id: int):
    try:
        billing.remove_line(bill_id=bill_id, line_id=line_id, by=request.staff)
    except DomainError as exc:
        return _bill_changed(request, bill_id, exc)
    return _bill_changed(request, bill_id)


@require_POST
@staff_view
def line_practitioner(request, bill_id: int, line_id: int):
    """Who performs a service or a session on the open bill (the line's "by" picker)."""
    raw = (request.POST.get("practitioner_id") or "").strip()
    try:
        practitioner_id = _id(raw) if raw else None
        billing.assign_practitioner(bill_id=bill_id, line_id=line_id, practitioner_id=practitioner_id,
                                    by=request.staff)
    except DomainError as exc:
        return _bill_changed(request, bill_id, exc)
    return _bill_changed(request, bill_id)


@require_POST
@staff_view
def close(request, bill_id: int):
    try:
        form = parse_payments(request.POST)
        closed = billing.close_bill(bill_id=bill_id, payments=form.payments,
                                    idempotency_key=request.POST.get("idempotency_key"), by=request.staff)
    except DomainError as exc:
        return _refused(request, "frontdesk/bill.html", _bill_context(request, bill_id), exc)
    if form.change:
        messages.info(request, f"Give change: {format_inr(form.change)}")
    return redirect("frontdesk:receipt", bill_id=closed.bill.id)


# The receipt -------------------------------------------------------------------------------

@require_GET
@staff_view
def receipt(request, bill_id: int):
    return render(request, "frontdesk/receipt.html", _receipt_context(request, bill_id))


def _receipt_context(request, bill_id: int) -> dict:
    context = screens.receipt_screen(staff=request.staff, bill_id=bill_id)
    # Voiding a closed bill (a credit note reverses it) is a manager's; the counter asks one
    # to approve here. A practitioner is offered nothing; an open bill's void is on its screen.
    closed = context["document"].bill_id and not context["voided"]
    context["can"] = {"void": bool(closed) and request.staff.role in COUNTER,
                      "needs_manager": not request.staff.is_manager}
    return context


@require_POST
@staff_view
def send_receipt(request, bill_id: int):
    channel = request.POST.get("channel", "")
    if channel not in CHANNELS:
        raise Http404
    context = screens.receipt_screen(staff=request.staff, bill_id=bill_id)
    try:
        message = enqueue_receipt(document=context["document"], channel=channel, by=request.staff)
    except DomainError as exc:  # a practitioner: 403
        return _refused(request, "frontdesk/receipt.html", context, exc)
    if message is None:
        context["sent"] = {"ok": False, "text": f"No {CHANNELS[channel]} address on file for this client."}
    else:
        context["sent"] = {"ok": True, "text": f"Receipt queued for {CHANNELS[channel]} to {message.to}."}
    template = "frontdesk/_send.html" if request.htmx else "frontdesk/receipt.html"
    return render(request, template, context)


# A package's life: its history, and the changes made to it ---------------------------------
#
# Freezing, extending, cancelling and transferring are a manager's (the services check the
# role). A front desk gets the same forms with a manager's username and password to type: the
# manager approving at this terminal is then the one who acts, and the history says so.

def _acting(request):
    """Who makes a manager's change: the signed-in manager, or the manager approving it here."""
    staff = request.staff
    if staff.is_manager:
        return staff
    approver = _approver(request)
    if approver is None or staff.role not in COUNTER:
        return staff  # the service refuses a front desk (or practitioner) acting alone
    if approver.business_id != staff.business_id or not approver.is_manager:
        raise ValidationFailed("Only a manager of this business can approve this.",
                               fields={"approver_username": "Not a manager here."})
    return approver


def _package_context(request, package_id: int) -> dict:
    context = screens.package_screen(staff=request.staff, package_id=package_id)
    owner = context["client"].id
    shared = {s.client_id for s in context["shares"]}
    for action, exclude in (("transfer", {owner}), ("share", {owner} | shared)):
        query = (request.POST.get(f"{action}_q") or request.GET.get(f"{action}_q") or "").strip()[:100]
        found, hint = screens.recipients(staff=request.staff, query=query, exclude=exclude)
        context[action] = {"q": query, "found": found, "hint": hint}
    context["open"] = request.GET.get("open", "") if request.GET.get("open") in PACKAGE_ACTIONS else ""
    for action in ("transfer", "share"):
        if context[action]["q"]:
            context["open"] = context["open"] or action
    context["methods"] = METHODS
    return context


@require_GET
@staff_view
def package(request, package_id: int):
    return render(request, "frontdesk/package.html", _package_context(request, package_id))


def _days(raw) -> int:
    text = (raw or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        raise ValidationFailed("Days: a whole number of days from 1 to 3650.",
                               fields={"days": "Whole days, 1 to 3650."})
    return int(text)


def _picked(raw, *, field: str, what: str) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise ValidationFailed(f"Pick {what} from the list (search by phone first).", fields={field: "Pick one."})
    return number


def _freeze(request, package_id: int):
    package = packages.freeze_package(package_id=package_id, reason=request.POST.get("reason", ""),
                                      by=_acting(request))
    return f"{package.plan.name} is frozen: redeeming it is refused until it is unfrozen.", None


def _unfreeze(request, package_id: int):
    package = packages.unfreeze_package(package_id=package_id, reason=request.POST.get("reason", ""),
                                        by=_acting(request))
    return f"{package.plan.name} is active again, valid till {package.expires_on:%-d %b %Y}.", None


def _extend(request, package_id: int):
    days = _days(request.POST.get("days"))
    current = (ClientPackage.objects.filter(business=request.staff.business, id=package_id)
               .values_list("expires_on", flat=True).first())
    if current is None:
        raise NotFound("Package not found.")
    until = current + timedelta(days=days)
    today = timezone.localdate()
    if until < today:
        raise ValidationFailed(
            f"Days: {days} day(s) after {current:%-d %b %Y} is still in the past; "
            f"at least {(today - current).days} days are needed.", fields={"days": "Still in the past."})
    package = packages.extend_package(package_id=package_id, expires_on=until,
                                      reason=request.POST.get("reason", ""), by=_acting(request))
    return f"{package.plan.name} now valid till {package.expires_on:%-d %b %Y}.", None


def _cancel(request, package_id: int):
    method = request.POST.get("method", "")
    if method not in dict(METHODS):
        raise ValidationFailed("Refund by: choose cash, card or UPI.", fields={"method": "Choose one."})
    result = packages.cancel_package(package_id=package_id, reason=request.POST.get("reason", ""),
                                     method=method, by=_acting(request))
    documents = [f"credit note {result['credit_note'].number}"] if result["credit_note"] else []
    documents.append(f"refund voucher {result['refund_voucher'].number}")
    return (f"Cancelled. Refund {format_inr(result['refund'])} by {dict(METHODS)[method]} "
            f"(fee kept {format_inr(result['fee'])}): {' and '.join(documents)}."), None


def _transfer(request, package_id: int):
    to = _picked(request.POST.get("to_client_id"), field="to_client_id", what="the client to transfer to")
    new = packages.transfer_package(package_id=package_id, to_client_id=to, reason=request.POST.get("reason", ""),
                                    by=_acting(request))
    return f"Transferred to {new.client.name}: this is her package now.", new.id


def _share(request, package_id: int):
    member = _picked(request.POST.get("client_id"), field="client_id", what="the family member")
    share = packages.share_package(package_id=package_id, client_id=member, by=request.staff)
    return f"Shared with {share.client.name}: she can redeem it at her own visits.", None


def _unshare(request, package_id: int):
    member = _picked(request.POST.get("client_id"), field="client_id", what="the family member")
    name = screens.client_name(staff=request.staff, client_id=member)
    packages.unshare_package(package_id=package_id, client_id=member, by=request.staff)
    return f"No longer shared with {name}.", None


PACKAGE_ACTIONS = {"freeze": _freeze, "unfreeze": _unfreeze, "extend": _extend, "cancel": _cancel,
                   "transfer": _transfer, "share": _share, "unshare": _unshare}


@require_POST
@staff_view
def package_action(request, package_id: int, action: str):
    change = PACKAGE_ACTIONS.get(action)
    if change is None:
        raise Http404
    try:
        with audit.at_counter(request.staff):
            done, show = change(request, package_id)
    except DomainError as exc:  # the screen raises NotFound (→ 404) for another business's package
        context = {**_package_context(request, package_id), "open": action}
        return _refused(request, "frontdesk/package.html", context, exc)
    messages.success(request, done)
    return redirect("frontdesk:package", package_id=show or package_id)


# Voiding (abandoning) an open bill: a manager's, or with a manager's approval ---------------

@require_POST
@staff_view
def void(request, bill_id: int):
    try:
        with audit.at_counter(request.staff):
            bill = billing.void_bill(bill_id=bill_id, reason=request.POST.get("reason", ""), by=_acting(request))
    except DomainError as exc:
        # Refused on the screen it was asked from: the open bill's, or a closed bill's receipt.
        if screens.is_closed_bill(staff=request.staff, bill_id=bill_id):
            return _refused(request, "frontdesk/receipt.html", {**_receipt_context(request, bill_id), "open": "void"},
                            exc)
        return _refused(request, "frontdesk/bill.html", {**_bill_context(request, bill_id), "open": "void"}, exc)
    original = closing_document_of(bill) if bill.closed_at else None
    if original is None:
        messages.success(request, f"Bill #{bill.id} voided. Sessions held on it went back to their packages.")
        return redirect("frontdesk:client", client_id=bill.client_id)
    messages.success(request, screens.void_summary(bill=bill, original=original))
    return redirect("frontdesk:receipt", bill_id=bill.id)
