"""python -m glowpos restore FILE — replace the whole database with a backup, then migrate."""
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from glowpos.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = ("Replace the whole database with the backup in FILE (made by `backup`), then bring its "
            "schema up to date. Stop the server and the worker first.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--database", default="default")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="Do not ask for confirmation.")

    def handle(self, *args, file, database, interactive, **options):
        if interactive:
            answer = input(f"Everything in the database is replaced by {file}. Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled; nothing was changed.")
        try:
            done = restore(file, alias=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        call_command("migrate", database=database, interactive=False, verbosity=0)
        self.stdout.write(f"Restored the {done.vendor} database from {done.path}.")
