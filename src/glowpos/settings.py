"""Settings. Everything secret or deployment-specific comes from the environment.

DATABASE_URL   default: SQLite file in ./var (the embedded single-clinic default)
SECRET_KEY     default: a key generated once into ./var/secret_key (never in git)
GLOWPOS_DEBUG  "1" for Django's debug pages
PG_PREPARE_THRESHOLD  PostgreSQL: uses of a statement before it is prepared (default 5; "off")
"""
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("GLOWPOS_VAR_DIR", Path.cwd() / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("GLOWPOS_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "glowpos.tenancy",
    "glowpos.clients",
    "glowpos.catalog",
    "glowpos.packages",
    "glowpos.billing",
    "glowpos.documents",
    "glowpos.ledger",
    "glowpos.receipts",
    "glowpos.reports",
    "glowpos.onboarding",
    "glowpos.audit",
    "glowpos.ops",
    "glowpos.demo",
    "glowpos.frontdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the vendored static files (htmx, CSS, fonts) in the one-command demo and in production.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The screens' session, user, messages and htmx: Django's and django-htmx's own middleware,
    # which an API request (a bearer token, JSON) passes by (glowpos/api/middleware.py).
    "glowpos.api.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "glowpos.api.middleware.AuthenticationMiddleware",
    "glowpos.api.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # request.htmx: the counter screens answer htmx requests with a fragment, others with a page.
    "glowpos.api.middleware.HtmxMiddleware",
    "glowpos.api.middleware.ApiErrorBodyMiddleware",
    # A NUL in a text value is refused (422 on the API, 400 on a screen): PostgreSQL cannot store it.
    "glowpos.middleware.RefuseNulCharacters",
    # PostgreSQL: a report's queries are planned for their own parameters, never prepared (ADR 0012).
    "glowpos.reports.middleware.PlanReportsAfresh",
]

ROOT_URLCONF = "glowpos.urls"
WSGI_APPLICATION = "glowpos.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["glowpos.receipts.templatetags.money"],
        },
    },
]


def _prepare_threshold() -> int | None:
    """PG_PREPARE_THRESHOLD: uses of a statement before it is prepared (default 5); "off"
    never prepares (e.g. behind a connection pooler that cannot keep prepared statements)."""
    value = os.environ.get("PG_PREPARE_THRESHOLD", "5").strip()
    if value == "off":
        return None
    if not value.isdigit():
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"PG_PREPARE_THRESHOLD must be a whole number or 'off', not {value!r}.")
    return int(value)


def _databases() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'glowpos.sqlite3'}"
    db = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE: a business action takes the write lock when its transaction starts,
        # so two terminals serialise instead of failing on lock upgrade. WAL lets readers
        # proceed while one writer holds the lock.
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file, not :memory:, so tests with real threads see one database.
        db["TEST"] = {"NAME": str(VAR_DIR / "test_glowpos.sqlite3")}
    elif db["ENGINE"] == "django.db.backends.postgresql":
        # Parameters travel apart from the SQL, so a statement's text is the same at every
        # call and psycopg prepares it on its fifth use on a connection: PostgreSQL parses and
        # plans the counter's statements once per connection, not at every close. Reports are
        # never prepared (glowpos.reports.middleware): see ADR 0012.
        db["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": _prepare_threshold()}
    return {"default": db}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-in"
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Static files come from the apps' static/ folders directly (no collectstatic step to forget).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# API tokens live this long; a revoked or expired token is refused.
GLOWPOS_TOKEN_TTL_HOURS = int(os.environ.get("GLOWPOS_TOKEN_TTL_HOURS", "12"))
# Failed logins per username (or per client address) in the window before 429.
GLOWPOS_LOGIN_MAX_FAILURES = int(os.environ.get("GLOWPOS_LOGIN_MAX_FAILURES", "5"))
GLOWPOS_LOGIN_WINDOW_SECONDS = int(os.environ.get("GLOWPOS_LOGIN_WINDOW_SECONDS", "900"))

# Receipts sent by the outbox worker (receipts/backends.py, docs/decisions/0007-outbox-worker.md).
# GLOWPOS_SMS_BACKEND / GLOWPOS_WHATSAPP_BACKEND: file (default, VAR_DIR/outbox/*.jsonl), console,
# http (GLOWPOS_SMS_URL, _TOKEN, _SENDER, _TIMEOUT) or a dotted class path. Email goes through
# Django's mail: SMTP when EMAIL_HOST is set, else files in VAR_DIR/outbox/email.
GLOWPOS_PUBLIC_URL = os.environ.get("GLOWPOS_PUBLIC_URL", "http://127.0.0.1:8000")  # receipt links
GLOWPOS_MESSAGING = {
    channel: {key: os.environ.get(f"GLOWPOS_{channel.upper()}_{key}", default)
              for key, default in (("BACKEND", "file"), ("URL", ""), ("TOKEN", ""), ("SENDER", ""), ("TIMEOUT", "10"))}
    for channel in ("sms", "whatsapp")
}
GLOWPOS_MESSAGING["email"] = {"BACKEND": os.environ.get("GLOWPOS_EMAIL_BACKEND", "django")}
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "outbox" / "email"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "GlowPOS receipts <receipts@glowpos.local>")
GLOWPOS_EMAIL_ATTACH_PDF = os.environ.get("GLOWPOS_EMAIL_ATTACH_PDF", "1") == "1"
# Attempts before a message is marked failed; backoff base × 2^(n−1) up to the cap; how long a
# worker's claim lasts (longer than any provider timeout) before another worker may take it.
GLOWPOS_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("GLOWPOS_OUTBOX_MAX_ATTEMPTS", "6"))
GLOWPOS_OUTBOX_BACKOFF_SECONDS = int(os.environ.get("GLOWPOS_OUTBOX_BACKOFF_SECONDS", "30"))
GLOWPOS_OUTBOX_BACKOFF_MAX_SECONDS = int(os.environ.get("GLOWPOS_OUTBOX_BACKOFF_MAX_SECONDS", "3600"))
GLOWPOS_OUTBOX_LEASE_SECONDS = int(os.environ.get("GLOWPOS_OUTBOX_LEASE_SECONDS", "120"))
# The worker's daily jobs (packages/jobs.py): how long a claimed run is its worker's before another may take it over.
GLOWPOS_DAILY_JOB_LEASE_SECONDS = int(os.environ.get("GLOWPOS_DAILY_JOB_LEASE_SECONDS", "900"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
