"""`python -m glowpos expire_packages`: the nightly expiry job (breakage to income)."""
from django.core.management.base import BaseCommand

from glowpos.packages.services import expire_packages


class Command(BaseCommand):
    help = "Expire packages past their expiry date and post their unused value to breakage income."

    def handle(self, *args, **options):
        count = expire_packages()
        self.stdout.write(f"{count} package(s) expired.")
