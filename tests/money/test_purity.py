"""money/ is the functional core: importable and testable without Django."""

from __future__ import annotations

import subprocess
import sys


def test_money_imports_without_django() -> None:
    # A fresh interpreter: this test process may have Django loaded by other tests.
    code = (
        "import sys, glowpos.money, glowpos.money.gstin;"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'django');"
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
