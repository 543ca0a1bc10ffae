VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test quick bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,ray,optuna]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/lrtui $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q -n auto $(PYTEST_ARGS)

quick: $(STAMP)  # the edit-test loop: all but the tests marked slow
	$(PY) -m pytest -q -n auto -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
