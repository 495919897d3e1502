"""`python -m glowpos demo`: the demo clinic, created once (running it again changes nothing)."""
from django.core.management.base import BaseCommand

from glowpos.demo.history import make_history
from glowpos.demo.setup import DEMO_PASSWORD, create_business
from glowpos.tenancy.models import Business, Role

DEMO_NAME = "Glow Skin Clinic"
USERS = {Role.FRONT_DESK: "frontdesk", Role.MANAGER: "manager", Role.OWNER: "owner",
         Role.PRACTITIONER: "practitioner"}
NAMES = {Role.FRONT_DESK: ("Asha", "Kulkarni"), Role.MANAGER: ("Ravi", "Menon"), Role.OWNER: ("Dr. Nisha", "Rao"),
         Role.PRACTITIONER: ("Dr. Kavya", "Iyer")}


class Command(BaseCommand):
    help = "Create the demo clinic (idempotent) and print its logins."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=40)
        parser.add_argument("--days", type=int, default=150)

    def handle(self, *args, clients: int, days: int, **options):
        if Business.objects.filter(name=DEMO_NAME).exists():
            self.stdout.write("Demo clinic already present.")
        else:
            business = create_business(
                name=DEMO_NAME, branch_code="BLR1", branch_name="Glow Skin Clinic, Indiranagar",
                address="12, 100 Feet Road, Indiranagar\nBengaluru 560038", state_code="29",
                state_name="Karnataka", pan="AABCG1234H", usernames=USERS, password=DEMO_PASSWORD, names=NAMES,
            )
            counts = make_history(business, clients=clients, days=days)
            self.stdout.write(
                f"Demo clinic created: {counts['bills']} bills, {counts['packages']} packages sold, "
                f"{counts['redemptions']} sessions redeemed."
            )
        self.stdout.write("Logins (password glowpos-demo): " + ", ".join(USERS.values()))
