"""The WSGI entry point (gunicorn's `glowpos.wsgi:application`) moves the application's own
long-lived objects out of the cyclic garbage collector's reach (ADR 0014), so that the full
collections a busy worker runs walk only what its requests left behind. Imported in a
subprocess: the freeze is a property of a fresh process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
IMPORT_AND_COUNT = (
    "import gc, json, glowpos.wsgi; "
    "print(json.dumps({'frozen': gc.get_freeze_count(), 'tracked': len(gc.get_objects()),"
    " 'app': type(glowpos.wsgi.application).__name__}))"
)


def test_importing_the_wsgi_application_freezes_its_objects_out_of_the_collector(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"DJANGO_SETTINGS_MODULE": "glowpos.settings", "GLOWPOS_VAR_DIR": str(tmp_path),
                "PYTHONPATH": str(REPO / "src")})
    done = subprocess.run([sys.executable, "-c", IMPORT_AND_COUNT], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)

    assert seen["app"] == "WSGIHandler"
    # Django, the URL patterns and the API's schemas: tens of thousands of objects, all frozen;
    # what the collector still tracks is only what was made after the freeze.
    assert seen["frozen"] > 20_000
    assert seen["tracked"] < seen["frozen"] / 20
