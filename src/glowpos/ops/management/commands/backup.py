"""python -m glowpos backup FILE — the whole database into FILE, while the clinic works."""
from django.core.management.base import BaseCommand, CommandError

from glowpos.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the whole database into FILE (SQLite online backup, or pg_dump for PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--database", default="default")

    def handle(self, *args, file, database, **options):
        try:
            done = backup(file, alias=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Backed up the {done.vendor} database to {done.path} ({done.size:,} bytes).")
