"""glowpos.settings_production: Django's deployment checklist passes with no warning, the
process refuses to start without its secrets, and a response over HTTPS carries the headers
and secure cookies. Run in subprocesses: settings are read once per process."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path, **overrides) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "GLOWPOS_DEBUG")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "glowpos.settings_production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "ALLOWED_HOSTS": "pos.example.in",
        "GLOWPOS_VAR_DIR": str(tmp_path / "var"),
    })
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _glowpos(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glowpos", *args], check=False, cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_deployment_checklist_has_no_warning(tmp_path):
    done = _glowpos(_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without_its_secrets(tmp_path, missing):
    done = _glowpos(_env(tmp_path, **{missing: None}), "check")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and missing in done.stderr


HEADERS = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from tests import factories
clinic = factories.clinic()
browser = Client()
plain = browser.get("/login/", HTTP_HOST="pos.example.in")
print("plain", plain.status_code, plain.get("Location"))
https = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "pos.example.in"}
page = browser.get("/login/", **https)
for header in ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
               "Cross-Origin-Opener-Policy"):
    print("header", header, page.get(header))
token = page.cookies["csrftoken"]
print("csrf-cookie", token["secure"], token["httponly"])
import re
form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
login = browser.post("/login/", {"username": clinic.front_desk.user.username, "password": factories.PASSWORD,
                                 "csrfmiddlewaretoken": form_token},
                     HTTP_REFERER="https://pos.example.in/login/", **https)
session = login.cookies["sessionid"]
print("login", login.status_code)
print("session-cookie", session["secure"], session["httponly"], session["samesite"])
"""


def test_https_responses_carry_the_security_headers_and_secure_cookies(tmp_path):
    done = subprocess.run([sys.executable, "-c", HEADERS], check=False, cwd=REPO, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert out["plain"] == "301 https://pos.example.in/login/"  # plain http is sent to https
    lines = done.stdout.splitlines()
    assert "header Strict-Transport-Security max-age=31536000; includeSubDomains; preload" in lines
    assert "header X-Content-Type-Options nosniff" in lines
    assert "header X-Frame-Options DENY" in lines
    assert "header Referrer-Policy same-origin" in lines
    assert "header Cross-Origin-Opener-Policy same-origin" in lines
    assert "csrf-cookie True True" in lines
    assert "login 302" in lines
    assert "session-cookie True True Lax" in lines


CONNECTION = ("import django; from django.conf import settings; db = settings.DATABASES['default']; "
              "print(db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'])")


@pytest.mark.parametrize(("setting", "expected"), [(None, "600 True"), ("0", "0 True")])
def test_production_keeps_connections_between_requests(tmp_path, setting, expected):
    """A worker keeps its connection (and on PostgreSQL its prepared statements, ADR 0012)
    unless CONN_MAX_AGE says otherwise; a dropped connection is noticed before it is reused."""
    done = subprocess.run([sys.executable, "-c", CONNECTION], check=False, cwd=REPO,
                          env=_env(tmp_path, CONN_MAX_AGE=setting), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected
