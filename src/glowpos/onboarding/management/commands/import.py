"""`python -m glowpos import FILE [--commit]`: clients and open package balances from an .xlsx or
CSV file. A dry run (the default) prints what would be created, what matches existing
clients, and every bad row; --commit writes it all in one transaction.
"""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from glowpos.errors import DomainError
from glowpos.money import format_inr
from glowpos.onboarding.services import commit_import, preview_import
from glowpos.tenancy.models import Role, StaffMember


class Command(BaseCommand):
    help = "Import clients and open package balances from an .xlsx or CSV file (dry run unless --commit)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="An .xlsx or CSV file (download the template from the import screen).")
        parser.add_argument("--commit", action="store_true", help="Write it (default: a dry run, nothing written).")
        parser.add_argument("--user", help="The owner or manager importing (username); optional when the "
                                           "database has one business with one owner.")
        parser.add_argument("--branch", help="Branch code whose books get the opening balance (default: the first).")
        parser.add_argument("--show", type=int, default=50, help="How many rows of each list to print.")

    def handle(self, *args, file: str, commit: bool, user: str | None, branch: str | None, show: int, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        by = self._staff(user)
        data = path.read_bytes()
        branch_id = None
        if branch:
            found = by.business.branches.filter(code=branch.upper()).first()
            if found is None:
                raise CommandError(f"--branch {branch}: no such branch in {by.business.name}.")
            branch_id = found.id
        try:
            preview = preview_import(by=by, data=data, filename=path.name)
            self._print_preview(preview, show)
            if not commit:
                if preview.can_commit:
                    self.stdout.write(f"\nDry run: nothing was written. Run again with --commit to import "
                                      f"{self._what(preview.checked)}.")
                return
            done = commit_import(by=by, data=data, filename=path.name, branch_id=branch_id)
        except DomainError as error:
            raise CommandError(error.detail) from None
        if done.created:
            counts = done.batch.report["counts"]
            self.stdout.write(self.style.SUCCESS(
                f"\nImported (batch {done.batch.id}): {counts['clients_created']:,} new clients, "
                f"{counts['packages_created']:,} packages; opening deferred revenue "
                f"{format_inr(counts['opening_deferred'])}."))
        elif done.batch is not None:
            self.stdout.write(f"\nThis file was already imported on {timezone.localtime(done.batch.at):%d %b %Y %H:%M} "
                              f"(batch {done.batch.id}): nothing changed.")
        else:
            self.stdout.write("\nNothing new to import: nothing changed.")

    def _staff(self, username: str | None) -> StaffMember:
        managers = StaffMember.objects.select_related("business", "user").filter(role__in=[Role.OWNER, Role.MANAGER])
        if username:
            staff = managers.filter(user__username=username).first()
            if staff is None:
                raise CommandError(f"--user {username}: no owner or manager with this username.")
            return staff
        owners = list(managers.filter(role=Role.OWNER)[:2])
        if len(owners) != 1:
            raise CommandError("Name the owner or manager importing: --user USERNAME.")
        return owners[0]

    @staticmethod
    def _what(checked) -> str:
        text = f"{len(checked.new_clients):,} new clients and {len(checked.packages):,} packages"
        if checked.bad_rows:
            rows = "1 row with a problem is" if checked.bad_rows == 1 else f"{checked.bad_rows:,} rows with problems are"
            text += f" ({rows} left out: fix them and import the file again)"
        return text

    def _print_preview(self, preview, show: int) -> None:
        c = preview.checked
        w = self.stdout.write
        w(f"{preview.filename}: {preview.table.kind.upper()}, {c.rows:,} rows, sha256 {preview.sha256[:12]}…")
        if preview.already:
            w(f"Already imported on {timezone.localtime(preview.already.at):%d %b %Y %H:%M} (batch {preview.already.id}).")
        if preview.table.ignored:
            w(f"Columns not read: {', '.join(preview.table.ignored)}")
        w(f"  new clients          {len(c.new_clients):>8,}")
        w(f"  existing clients     {len(c.matched):>8,}  (matched by phone; not changed)")
        w(f"  packages             {len(c.packages):>8,}  (opening deferred revenue {format_inr(c.opening_total)})")
        w(f"  new plans            {len(c.new_plans):>8,}"
          + (": " + ", ".join(f"{p.name} ({p.service.name} × {p.units})" for p in c.new_plans) if c.new_plans else ""))
        w(f"  already imported     {len(c.skipped):>8,}")
        w(f"  rows with problems   {c.bad_rows:>8,}")
        if c.problems:
            w("\nProblems (row, column: reason):")
            for p in c.problems[:show]:
                where = f"row {p.row}" + (f", {p.column}" if p.column else "")
                value = f" '{p.value}'" if p.value else ""
                w(f"  {where}:{value} {p.reason}")
            if len(c.problems) > show:
                w(f"  … and {len(c.problems) - show:,} more (--show N to see more)")
        if c.matched:
            w("\nExisting clients (matched by phone):")
            for m in c.matched[:show]:
                w(f"  row {m.row}: {m.name} {m.phone} → {m.client.name}")
            if len(c.matched) > show:
                w(f"  … and {len(c.matched) - show:,} more")
