"""Another process on the test database: the URL it opens it by, and the environment it needs."""
from __future__ import annotations

import os

from django.conf import settings
from django.db import connection


def database_url() -> str:
    """The test database this process uses, as a URL another process can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def environment(**extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(), "GLOWPOS_VAR_DIR": str(settings.VAR_DIR),
            "DJANGO_SETTINGS_MODULE": "glowpos.settings", **extra}
