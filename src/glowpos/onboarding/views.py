"""The import screens (owner and manager): upload, preview, confirm, the result; the template.

Upload → the file is staged and checked, and the preview shows what would be created, what
matches existing clients and every bad row; nothing is written until "Import" is pressed.
"""
from __future__ import annotations

import csv
import io
from functools import wraps

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from glowpos.errors import DomainError, NotFound
from glowpos.frontdesk.views import staff_view
from glowpos.onboarding import staging
from glowpos.onboarding.models import ImportBatch
from glowpos.onboarding.reader import MAX_BYTES, MAX_ROWS, read_table
from glowpos.onboarding.sample import template_csv, template_xlsx
from glowpos.onboarding.services import commit_import, digest, opening_date, preview_import
from glowpos.tenancy.services import branch_scope

SHOWN = 200  # rows of each list on the page; the problems CSV has them all


def manager_view(view):
    """Owners and managers only; the front desk sees a refusal, not the screen."""

    @staff_view
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.staff.is_manager:
            return render(request, "onboarding/not_allowed.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _batches(request):
    """The business's imports; for staff tied to branches, those into their branches' books
    (another branch's import is not found, like another business's)."""
    found = ImportBatch.objects.filter(business=request.staff.business)
    branches = branch_scope(request.staff)
    return found if branches is None else found.filter(branch_id__in=branches)


def _page(request, **context):
    batches = _batches(request).select_related("by__user").order_by("-at")
    return {"batches": batches[:20], "max_mb": MAX_BYTES // (1024 * 1024), "max_rows": f"{MAX_ROWS:,}",
            "branches": request.staff.allowed_branches().order_by("id"), **context}


@manager_view
def upload(request):
    if request.method != "POST":
        return render(request, "onboarding/import.html", _page(request))
    upload = request.FILES.get("file")
    if upload is None:
        return render(request, "onboarding/import.html",
                      _page(request, refusal="Choose a file first: an .xlsx or CSV file."), status=422)
    if upload.size > MAX_BYTES:  # refused before reading a byte of it into memory
        return render(request, "onboarding/import.html", _page(
            request, refusal=f"The file is {upload.size / (1024 * 1024):.1f} MB; the limit is "
                             f"{MAX_BYTES // (1024 * 1024)} MB ({MAX_ROWS:,} rows). Split it into smaller files "
                             "and import them one after another."), status=422)
    data = upload.read()
    try:
        read_table(data)  # what is not an import is refused here; the rows are checked by the preview
    except DomainError as exc:
        return render(request, "onboarding/import.html", _page(request, refusal=exc.detail), status=exc.status)
    sha = digest(data)
    staging.stage(business=request.staff.business, sha256=sha, data=data, filename=upload.name)
    return redirect("onboarding:preview", sha=sha)


def _staged_preview(request, sha: str):
    data, filename = staging.staged(business=request.staff.business, sha256=sha)
    return data, filename, preview_import(by=request.staff, data=data, filename=filename)


@require_GET
@manager_view
def preview(request, sha: str):
    try:
        _, _, found = _staged_preview(request, sha)
    except NotFound as exc:
        return render(request, "onboarding/import.html", _page(request, refusal=exc.detail), status=404)
    checked = found.checked
    return render(request, "onboarding/preview.html", {
        "p": found, "c": checked, "shown": SHOWN, "problems": checked.problems[:SHOWN],
        "new_clients": checked.new_clients[:SHOWN], "matched": checked.matched[:SHOWN],
        "packages": checked.packages[:SHOWN], "skipped": checked.skipped[:SHOWN],
        "branches": request.staff.allowed_branches().order_by("id"),
        "opening_on": opening_date(timezone.now()),
    })


@require_GET
@manager_view
def problems_csv(request, sha: str):
    _, filename, found = _staged_preview(request, sha)
    return _problems_response([(p.row, p.column, p.value, p.reason) for p in found.checked.problems], filename)


def _problems_response(rows, filename: str) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Row", "Column", "Value", "Problem"])
    writer.writerows(rows)
    response = HttpResponse(("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="problems-{filename.rsplit(".", 1)[0]}.csv"'
    return response


@require_POST
@manager_view
def commit(request, sha: str):
    try:
        data, filename = staging.staged(business=request.staff.business, sha256=sha)
        if digest(data) != sha:
            raise NotFound("That upload is damaged; upload the file again.")
    except NotFound as exc:  # another business's upload, or none: not found, as in the preview
        return render(request, "onboarding/import.html", _page(request, refusal=exc.detail), status=404)
    try:
        branch_id = int(request.POST.get("branch") or 0) or None
        done = commit_import(by=request.staff, data=data, filename=filename, branch_id=branch_id)
    except (DomainError, ValueError) as exc:
        detail = exc.detail if isinstance(exc, DomainError) else "Pick a branch from the list."
        status = 404 if isinstance(exc, NotFound) else 422  # a branch not hers (or not ours) is not found
        return render(request, "onboarding/import.html", _page(request, refusal=detail), status=status)
    if done.batch is None:
        return render(request, "onboarding/import.html",
                      _page(request, refusal="Nothing new to import: every row is already in GlowPOS or has a "
                                             "problem. Nothing was changed."), status=422)
    staging.discard(business=request.staff.business, sha256=sha)
    return redirect("onboarding:batch", batch_id=done.batch.id)


@require_GET
@manager_view
def batch(request, batch_id: int):
    found = _batches(request).select_related("by__user", "branch", "opening_entry").filter(id=batch_id).first()
    if found is None:
        raise NotFound("Import not found.")
    report = found.report
    return render(request, "onboarding/batch.html", {
        "batch": found, "counts": report.get("counts", {}),
        "problems": [dict(zip(("row", "column", "value", "reason"), p)) for p in report.get("problems", [])[:SHOWN]],
        "skipped": report.get("skipped", [])[:SHOWN],
        "imported": found.imported_rows.select_related("client", "package__plan").order_by("row")[:SHOWN],
    })


@require_GET
@manager_view
def batch_problems_csv(request, batch_id: int):
    found = _batches(request).filter(id=batch_id).first()
    if found is None:
        raise NotFound("Import not found.")
    return _problems_response(found.report.get("problems", []), found.filename)


@require_GET
@manager_view
def template(request, fmt: str):
    today = timezone.localdate()
    if fmt == "xlsx":
        response = HttpResponse(
            template_xlsx(request.staff.business, today),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(template_csv(request.staff.business, today), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="glowpos-import-template.{fmt}"'
    return response
