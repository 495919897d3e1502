"""Production settings: DJANGO_SETTINGS_MODULE=glowpos.settings_production.

Everything of glowpos.settings, plus what a server on the internet needs: no debug pages,
cookies only over HTTPS, HSTS, and the proxy's word for "this was HTTPS". The secrets and the
database come from the environment and nothing else — a production process without them
refuses to start instead of running on a generated key and a local SQLite file.

SECRET_KEY            required (50+ random characters: python -c "import secrets; print(secrets.token_urlsafe(50))")
DATABASE_URL          required (postgres://user:password@host:5432/glowpos, or sqlite:////srv/glowpos/db.sqlite3)
ALLOWED_HOSTS         the site's host names, comma-separated (e.g. pos.example.in)
CSRF_TRUSTED_ORIGINS  https origins that may POST forms, comma-separated (default: https:// + each host)
CONN_MAX_AGE          seconds a worker keeps its database connection (default here 600: the
                      connection, and on PostgreSQL its prepared statements, outlive a request)
GLOWPOS_SSL_REDIRECT  "0" if the proxy already redirects http → https (default "1")
GLOWPOS_HSTS_SECONDS  default one year; set a small value while first trying HTTPS out

The proxy (nginx, a load balancer) terminates TLS and must set X-Forwarded-Proto, and must
strip that header from what clients send. See docs/decisions/0008-production-and-scale.md.
"""
import os

from django.core.exceptions import ImproperlyConfigured

for _name in ("SECRET_KEY", "DATABASE_URL"):
    if not os.environ.get(_name, "").strip():
        raise ImproperlyConfigured(f"{_name} must be set in the environment for production (see {__name__}).")

from glowpos.settings import *
from glowpos.settings import ALLOWED_HOSTS, DATABASES

# Keep each worker's connection between requests (ADR 0008, 0012), checked before reuse so a
# connection the database dropped is replaced instead of failing the next request.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "600"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEBUG = False
WHITENOISE_AUTOREFRESH = False

# HTTPS: behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("GLOWPOS_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("GLOWPOS_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Cookies: only over HTTPS, never readable by scripts (the counter's htmx sends the CSRF
# token from the form, not from the cookie).
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600  # a working day; the counter logs in again the next morning
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get(
        "CSRF_TRUSTED_ORIGINS", ",".join(f"https://{h}" for h in ALLOWED_HOSTS if h and h != "testserver")
    ).split(",") if o.strip()
]
