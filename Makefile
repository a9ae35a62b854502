# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,embeddings]'
	touch $(STAMP)

install: $(STAMP)

# Development mode and a base URL that follows HOST and PORT (the demo partners' feeds live there).
RUN_ENV := SYNDICATE_ENV=$${SYNDICATE_ENV:-development} \
	SYNDICATE_BASE_URL=$${SYNDICATE_BASE_URL:-http://$(HOST):$(PORT)}

# The scheduler starts once the server answers (at most 30 s later): in development its first
# pass fetches the demo partners' feeds from this very server.
SERVER_UP := import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)

run: install
	$(RUN_ENV) $(BIN)/syndicate db upgrade
	$(RUN_ENV) $(BIN)/syndicate demo load
	$(RUN_ENV) $(BIN)/syndicate related rebuild
	@export $(RUN_ENV); \
	case $$SYNDICATE_ENV in development|demo) \
		export SYNDICATE_ALLOW_PRIVATE_SOURCES=$${SYNDICATE_ALLOW_PRIVATE_SOURCES:-true};; esac; \
	{ for i in $$(seq 60); do $(BIN)/python -c "$(SERVER_UP)" $(HOST) $(PORT) 2>/dev/null && break; \
		sleep 0.5; done; exec $(BIN)/syndicate scheduler; } & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler' EXIT INT TERM; \
	$(BIN)/syndicate serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium (never a browser download of Playwright's own), and the
# feeds bench's test checks the README's nginx config with Debian's nginx: install them when
# missing and apt-get can (about 40 s); without them those tests skip, saying why.
CHROMIUM ?= /usr/bin/chromium
NGINX ?= /usr/sbin/nginx
.PHONY: test-tools
test-tools:
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	[ -x $(NGINX) ] || missing="$$missing nginx-light"; \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's$$missing for the tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q $$missing || { apt-get update -q && apt-get install -y -q $$missing; } \
			|| echo "could not install$$missing: their tests will be skipped"; \
	fi

test: install test-tools
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The feeds bench drives load with wrk and measures nginx in front: Debian's, when missing.
.PHONY: bench-tools
bench-tools:
	@missing=""; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	[ -x $(NGINX) ] || missing="$$missing nginx-light"; \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's$$missing for the benchmarks"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q $$missing || { apt-get update -q && apt-get install -y -q $$missing; } \
			|| echo "could not install$$missing: the feeds bench will skip its HTTP rows"; \
	fi

bench: install bench-tools
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
