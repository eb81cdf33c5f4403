# The README's two commands: `make render` (render the course to build/course/index.html)
# and `make test` (unit tests, notebook hygiene, nbval over every notebook).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= build/course
JOBS ?= 2
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: install render test unit nbval lint strip record lab bench grade-check clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

render: install
	$(PY) -m course_utils render --out $(OUT) --jobs $(JOBS)

test: install
	$(PY) -m pytest -n $(JOBS) --dist loadfile

unit: install
	$(PY) -m pytest tests

nbval: install
	$(PY) -m pytest notebooks -n $(JOBS) --dist loadfile

lint: install
	$(PY) -m ruff check course_utils tests bench
	$(PY) -m nbqa ruff notebooks

strip: install
	$(PY) -m course_utils strip

record: install
	$(PY) -m course_utils record $(NB)

grade-check: install
	$(PY) -m course_utils.publish.grading $(NB)

lab: install
	$(PY) -m jupyter lab notebooks

bench: install
	$(PY) bench/filter_flops.py
	$(PY) bench/filter_speed.py
	$(PY) bench/filter_climb.py
	$(PY) bench/notebooks.py
	$(PY) bench/lessons.py

clean:
	rm -rf build .pytest_cache
