# Everything a fresh machine lacks is installed into the repo: .venv (Python, from the lockfile)
# and tools/node_modules (the pinned CDK CLI). Every target that needs them depends on setup.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
CDK := tools/node_modules/.bin/cdk
SETUP_STAMP := $(VENV)/.setup-complete

export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled
export AWS_DEFAULT_REGION ?= us-east-1
export AWS_ACCESS_KEY_ID ?= testing
export AWS_SECRET_ACCESS_KEY ?= testing
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: system-packages setup demo test test-ahead lint format unit integration infrastructure e2e synth lock clean

setup: $(SETUP_STAMP)

$(SETUP_STAMP): requirements.lock pyproject.toml tools/package-lock.json
	@$(MAKE) --no-print-directory system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	npm ci --prefix tools --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages the tests use and no registry client can put in the repo: headless Chromium
# for the browser tests, faketime for the suite run a year ahead. Installed only when missing.
SYSTEM_PACKAGES := chromium:chromium faketime:faketime
system-packages:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

demo: setup
	$(BIN)/leadwire demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit: setup
	$(BIN)/pytest tests/unit -q

integration: setup
	$(BIN)/pytest tests/integration -q

infrastructure: setup
	$(BIN)/pytest tests/infrastructure -q

e2e: setup
	$(BIN)/pytest tests/e2e -q

test: lint
	$(BIN)/pytest -q

# The suite again with every process's wall clock 400 days ahead (libfaketime): no result may
# depend on the day it runs. The monotonic clock stays real (timeouts, durations), and
# .ci/faketime/sitecustomize.py works around libfaketime 0.9.10's time.sleep bug in that mode.
# Tests marked browser are left out: Chromium does not start with libfaketime preloaded.
AHEAD ?= +400 days
test-ahead: setup
	PYTHONPATH=$(CURDIR)/.ci/faketime FAKETIME_DONT_FAKE_MONOTONIC=1 faketime '$(AHEAD)' \
		$(BIN)/pytest -q -p no:cacheprovider -m "not browser"

synth: setup
	$(CDK) synth --quiet

# Re-resolve the Python lockfile after changing dependencies in pyproject.toml.
lock: setup
	$(BIN)/pip-compile --quiet --extra local --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) tools/node_modules cdk.out .mypy_cache .ruff_cache .pytest_cache
