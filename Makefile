# Front door: `make up` (deploy the stack into the embedded local cloud) and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: up test lint unit policy docs clean

$(STAMP): pyproject.toml requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

## up: deploy the stack into the embedded AWS emulator and wait for its tasks
##     PORT=4599 serves on another port, SERVE=1 keeps serving, ARGS='...' passes more flags,
##     RUNTIME=docker|simulated|auto picks what runs the containers (default auto: docker
##     when a Docker Engine answers, else simulated)
##     (e.g. ARGS='--config fargate-app:desiredCount=3'; see python -m localcloud up --help)
up: $(STAMP)
	$(PY) -m localcloud up $(if $(RUNTIME),--runtime $(RUNTIME),) $(if $(PORT),--port $(PORT),) $(if $(SERVE),--serve,) $(ARGS)

## test: lint, then the whole test suite, spread over the CPUs (pytest-xdist; JOBS=0 runs it in one process)
##       two workers a CPU, each test module on one worker (its shared deploys and CLI runs are
##       made once), the workers forked from one Python that imported the project (tests/conftest.py)
JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 )))
# pytest rewrites the asserts of every module of this project (its plugin's distribution): let
# it cache them in __pycache__ even where the environment says not to write bytecode, or each
# worker and each pytest subprocess recompiles them all (2.5 s each).
test: export PYTHONDONTWRITEBYTECODE =
test: $(STAMP) lint
	$(PY) -m pytest -n $(JOBS) --dist loadfile

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## policy: run the policy pack offline over every stack in stacks/
policy: $(STAMP)
	@set -e; for f in stacks/Pulumi.*.yaml; do $(PY) -m policies.check --stack-config $$f; done

## docs: regenerate the README's reference tables from the docstrings
docs: $(STAMP)
	$(PY) -m components.docs --write

clean:
	rm -rf $(VENV) .pytest_cache
