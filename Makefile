# The commands of README: `make practice`, `make serve` and `make test`. Each installs what is missing first.
.PHONY: setup practice serve test lint bench

ARGS ?=
PYTEST_ARGS ?=

setup:
	scripts/setup.sh

practice: setup
	.venv/bin/mockint practice $(ARGS)

serve: setup
	.venv/bin/mockint serve $(ARGS)

test:
	scripts/setup.sh --test
	scripts/run-tests.sh $(PYTEST_ARGS)

lint:
	.venv/bin/ruff check mockint tests bench
	.venv/bin/mypy

bench:
	.venv/bin/python bench/transcribe.py
