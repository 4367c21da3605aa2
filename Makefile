# The project's two commands are `make demo` and `make test`; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://apis:apis@127.0.0.1:5432/apis
export APIS_SECRET_KEY ?= $(shell $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(40))")

.PHONY: install demo test test-sqlite test-postgres fuzz mutate lint format bench postgres chromium clean

$(BIN)/apis: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(BIN)/apis

install: $(BIN)/apis

demo: install
	$(BIN)/apis demo

test: install postgres chromium lint
	$(BIN)/apis manage check --fail-level WARNING
	$(BIN)/apis manage makemigrations --check --dry-run
	scripts/test-both.sh $(BIN)/pytest $(PG_URL)

test-sqlite: install
	APIS_DATABASE_URL= $(BIN)/pytest

test-postgres: install postgres
	APIS_DATABASE_URL=$(PG_URL) $(BIN)/pytest

# The API fuzzer (tests/fuzz, bounded inside `make test`) with a longer budget on both databases: FUZZ_EXAMPLES
# new random requests per operation and role on every run; a failure prints the seed, APIS_FUZZ_SEED=<seed>
# replays it, and failing examples are kept in var/fuzz-examples/ and tried first on the next run.
FUZZ_EXAMPLES ?= 200
fuzz: install postgres
	APIS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) APIS_DATABASE_URL= $(BIN)/pytest tests/fuzz
	APIS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) APIS_DATABASE_URL=$(PG_URL) $(BIN)/pytest tests/fuzz

# Mutation testing of the domain modules on SQLite (pyproject.toml [tool.mutmut]); the table per module goes to
# stdout and mutants/report.md, docs/mutation.md explains the survivors. About an hour on two cores.
mutate: install
	APIS_DATABASE_URL= $(BIN)/python scripts/mutate.py

postgres:
	@scripts/postgres.sh

chromium:
	@scripts/chromium.sh

lint: install
	$(BIN)/ruff check --no-cache src tests bench scripts
	$(BIN)/ruff format --no-cache --check src tests bench scripts
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

bench: install postgres
	$(BIN)/python bench/run.py --postgres $(PG_URL)

clean:
	rm -rf $(VENV) var .pytest_cache mutants
