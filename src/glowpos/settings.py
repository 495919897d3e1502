"""Settings. Everything secret or deployment-specific comes from the environment.

DATABASE_URL   default: SQLite file in ./var (the embedded single-clinic default)
SECRET_KEY     default: a key generated once into ./var/secret_key (never in git)
GLOWPOS_DEBUG  "1" for Django's debug pages
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
    "glowpos.demo",
    "glowpos.frontdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the vendored static files (htmx, CSS, fonts) in the one-command demo and in production.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # request.htmx: the counter screens answer htmx requests with a fragment, others with a page.
    "django_htmx.middleware.HtmxMiddleware",
    "glowpos.api.middleware.ApiErrorBodyMiddleware",
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
