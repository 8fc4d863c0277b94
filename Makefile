# Two commands on a fresh machine: `make run` (build the sample help center and serve it) and
# `make test` (everything the tests need, then the whole suite). Both start with `make install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
BENCH_STAMP := $(VENV)/.bench-installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run build serve check test test-deps chromium nginx bench lint lint-js docs vendor clean

install: $(PY_STAMP)

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-color-emoji fonts-dejavu-core; }

# Debian's nginx-light (about 1 MB) for tests/chat/test_deploy.py: `nginx -t` on
# deploy/nginx.conf, then the site and two sidecars served through it.
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nginx-light; }

test-deps: install $(NODE_STAMP) chromium nginx

build: install
	$(BIN)/python build.py build

# One process serves site/ and the chat sidecar (SQLite in data/), with a demo operator login.
run: build
	$(BIN)/python -m chat_server --config config.yml serve --site site --host $(HOST) --port $(PORT) --demo-operator

# The writers' live preview (no chat): rebuilds on save and reloads the browser.
serve: install
	$(BIN)/python build.py serve

check: install
	$(BIN)/python build.py check

test: test-deps lint
	$(BIN)/python -m pytest

# ruff over everything, mypy (strict, see pyproject.toml) over the two packages, eslint
# (pinned in package.json, eslint.config.js) over our JavaScript.
lint: install lint-js
	$(BIN)/ruff check builder chat_server tests bench build.py
	$(BIN)/mypy

lint-js: $(NODE_STAMP)
	npx --no-install eslint .

# The operator page's and the widget's vendored libraries, copied as published from the versions package.json
# pins (a test holds the copies to node_modules): no build step, the files are served as they are.
OPERATOR_VENDOR := chat_server/static/operator/vendor
vendor: $(NODE_STAMP)
	cp node_modules/preact/dist/preact.mjs $(OPERATOR_VENDOR)/preact.mjs
	cp node_modules/preact/hooks/dist/hooks.mjs $(OPERATOR_VENDOR)/preact-hooks.mjs
	cp node_modules/preact/LICENSE $(OPERATOR_VENDOR)/LICENSE.preact
	cp node_modules/htm/dist/htm.mjs $(OPERATOR_VENDOR)/htm.mjs
	cp node_modules/htm/LICENSE $(OPERATOR_VENDOR)/LICENSE.htm
	cp node_modules/linkifyjs/dist/linkify.min.js chat_server/static/widget/vendor/linkify.min.js
	cp node_modules/linkifyjs/LICENSE chat_server/static/widget/vendor/LICENSE.linkify
	cp node_modules/emojibase-data/ru/compact.json chat_server/static/widget/vendor/emojibase-ru.json
	cp node_modules/emojibase-data/en/compact.json chat_server/static/widget/vendor/emojibase-en.json
	cp node_modules/emojibase-data/LICENSE chat_server/static/widget/vendor/LICENSE.emojibase

docs: install
	$(BIN)/python build.py config-reference > docs/configuration.md

$(BENCH_STAMP): pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

CORPUS ?= ../shared/corpus/vkcloud

# Benchmarks, not tests: build (with Hugo and MkDocs-Material), search size and speed, chat.
bench: test-deps $(BENCH_STAMP)
	$(BIN)/python bench/build.py --corpus $(CORPUS)
	$(BIN)/python build.py build --config $(CORPUS)/config.yml --out bench/out/site
	$(BIN)/python bench/search_speed.py --config $(CORPUS)/config.yml --site bench/out/site
	$(BIN)/python bench/chat.py

clean:
	rm -rf site .cache tests/artifacts bench/out
