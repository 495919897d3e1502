"""python -m glowpos api_docs [FILE] — write docs/api.md from the live OpenAPI schema."""
from pathlib import Path

from django.core.management.base import BaseCommand

from glowpos.api.reference import render

DEFAULT = Path(__file__).resolve().parents[5] / "docs" / "api.md"


class Command(BaseCommand):
    help = "Write the API reference (docs/api.md) from the live OpenAPI schema and glowpos.api.reference."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT))

    def handle(self, *args, file, **options):
        text = render()
        Path(file).write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {file} ({text.count('### ')} operations).")
