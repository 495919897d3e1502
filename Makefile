# GlowPOS — `make run` serves the demo clinic, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
# Test processes: the suite runs in parallel (pytest-xdist); each worker has its own database.
TEST_WORKERS ?= 2

.PHONY: run test demo worker clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV) || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

run: $(VENV)/.installed
	$(PY) -m glowpos migrate --noinput -v0
	$(PY) -m glowpos demo
	@echo ""
	@echo "  GlowPOS demo clinic:  http://127.0.0.1:$(PORT)/"
	@echo "  API docs:             http://127.0.0.1:$(PORT)/api/v1/docs"
	@echo "  Logins (password glowpos-demo): frontdesk, manager, owner"
	@echo ""
	$(PY) -m glowpos runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed
	$(VENV)/bin/pytest -n $(TEST_WORKERS) -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
