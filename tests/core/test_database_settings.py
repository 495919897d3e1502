"""How the database connection is configured from the environment (ADR 0012): on PostgreSQL
parameters are bound on the server and a statement is prepared on its fifth use, unless
PG_PREPARE_THRESHOLD says otherwise; SQLite keeps its own options. Read in subprocesses:
settings are read once per process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRINT_OPTIONS = ("import json, django; from django.conf import settings; "
                 "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))")


def run(tmp_path, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PG_PREPARE_THRESHOLD")}
    base.update({"DJANGO_SETTINGS_MODULE": "glowpos.settings", "GLOWPOS_VAR_DIR": str(tmp_path),
                 "PYTHONPATH": str(REPO / "src")}, **env)
    return subprocess.run([sys.executable, "-c", PRINT_OPTIONS], cwd=REPO, env=base, capture_output=True,
                          text=True, timeout=60, check=False)


def options(tmp_path, **env) -> dict:
    done = run(tmp_path, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


PG = "postgres://postgres@127.0.0.1:5432/anything"  # read, never connected to


@pytest.mark.parametrize(("setting", "threshold"), [(None, 5), ("2", 2), ("off", None)])
def test_postgresql_binds_on_the_server_and_prepares_by_the_threshold(tmp_path, setting, threshold):
    env = {"DATABASE_URL": PG} | ({"PG_PREPARE_THRESHOLD": setting} if setting else {})

    assert options(tmp_path, **env) == {"server_side_binding": True, "prepare_threshold": threshold}


def test_sqlite_keeps_its_own_options(tmp_path):
    sqlite = options(tmp_path)

    assert sqlite["transaction_mode"] == "IMMEDIATE" and "prepare_threshold" not in sqlite


def test_a_threshold_that_is_not_a_number_is_refused_by_name(tmp_path):
    done = run(tmp_path, DATABASE_URL=PG, PG_PREPARE_THRESHOLD="five")

    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "PG_PREPARE_THRESHOLD" in done.stderr
