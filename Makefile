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
##       one worker more than CPUs: part of the suite waits on real time (health checks,
##       containers); without the Docker tests, 140 s with 3 workers on 2 cores against 141 s with 2
##       (benchmarks/suite.py), and the Docker tests wait more
JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
# pytest rewrites the asserts of every module of this project (its plugin's distribution): let
# it cache them in __pycache__ even where the environment says not to write bytecode, or each
# worker and each pytest subprocess recompiles them all (2.5 s each).
test: export PYTHONDONTWRITEBYTECODE =
# --dist loadgroup: the tests of an xdist_group (a module sharing costly CLI runs) stay on one worker.
test: $(STAMP) lint
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

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
