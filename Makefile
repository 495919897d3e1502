# GlowPOS — `make run` serves the demo clinic, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
# Test processes: the suite runs in parallel (pytest-xdist); each worker has its own database.
TEST_WORKERS ?= 2

.PHONY: run test demo worker clean lock

# The packages at the versions the suite last passed with (constraints.txt, ADR 0015): a new
# release upstream changes nothing here until `make lock` takes it and the suite passes on it.
$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -m venv $(VENV) || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

# Re-resolve pyproject.toml's ranges to the newest releases in a scratch venv and rewrite
# constraints.txt; then run `make test` (it reinstalls) before committing the new file.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q --upgrade pip
	.venv-lock/bin/python -m pip install -q -e '.[dev]'
	{ sed -n '1,/^# See docs/p' constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-lock

run: $(VENV)/.installed
	$(PY) -m glowpos migrate --noinput -v0
	$(PY) -m glowpos demo
	@echo ""
	@echo "  GlowPOS demo clinic:  http://127.0.0.1:$(PORT)/"
	@echo "  API docs:             http://127.0.0.1:$(PORT)/api/v1/docs"
	@echo "  Logins (password glowpos-demo): frontdesk, manager, owner, practitioner"
	@echo "  Receipts: the outbox worker runs beside the server; messages land in var/outbox/"
	@echo ""
	@# The outbox worker in the background, stopped with the server (Ctrl-C).
	export GLOWPOS_PUBLIC_URL=$${GLOWPOS_PUBLIC_URL:-http://127.0.0.1:$(PORT)}; \
	$(PY) -m glowpos worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) -m glowpos runserver 127.0.0.1:$(PORT)

# The browser tests (tests/e2e) drive Debian's Chromium; installed once, only when missing
# (never `playwright install`).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq chromium

test: $(VENV)/.installed $(CHROMIUM)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
