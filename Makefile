# Thin wrappers; every target works from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Offline mirror: use NNLAB_DATA_DIR if set, else a ../shared/datasets folder beside the clone if there is one.
export NNLAB_DATA_DIR ?= $(wildcard $(abspath $(CURDIR)/../shared/datasets))
export TF_CPP_MIN_LOG_LEVEL ?= 3

.PHONY: setup lint test test-fast demo lab formgrader release bundle bench reproduce walkthrough walkthrough-record clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(STAMP)  ## create .venv and install the kit

lint: $(STAMP)  ## ruff over every Python file (a file that does not parse, an undefined name, an unused import fails)
	$(BIN)/ruff check .

test: lint  ## lint, then the whole test suite at the smoke budget, two test processes (exit code 5, "no tests", counts as failure)
	NNLAB_BUDGET=smoke $(BIN)/python -m pytest -n $(or $(TEST_PROCESSES),2) --dist loadgroup $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

test-fast: lint  ## lint, then every test not marked slow (nothing trains a model or grades a notebook)
	NNLAB_BUDGET=smoke $(BIN)/python -m pytest -n $(or $(TEST_PROCESSES),2) --dist loadgroup -m "not slow" $(PYTEST_ARGS)

demo: $(STAMP)  ## the kit's main job, at a small budget (installs bubblewrap when run as root and it is missing)
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing bubblewrap, the grading sandbox ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	  else \
	    echo "make demo grades student code in a bubblewrap sandbox, which is not installed. Run:"; \
	    echo "    sudo apt-get install bubblewrap"; \
	    exit 1; \
	  fi; }
	$(BIN)/python -m autograder demo

formgrader: $(STAMP)  ## nbgrader's formgrader on a graded class: make formgrader [OUT=demo-out/graded] [PORT=8890]
	$(BIN)/python -m autograder formgrader --out $(or $(OUT),demo-out/graded) --port $(or $(PORT),8890)

release: $(STAMP)  ## regenerate the student notebooks from solutions/
	$(BIN)/python -m autograder release

bundle: $(STAMP)  ## what students get, in bundle/: nnlab-course.zip and one zip per assignment (no answers)
	$(BIN)/python -m autograder bundle --out $(or $(OUT),bundle)

lab: $(STAMP)  ## JupyterLab on the student notebooks, nbgrader extensions on (prints the URL)
	@echo "JupyterLab: open the URL printed below; the assignments are in notebooks/ (formgrader: Nbgrader menu)"
	$(BIN)/jupyter lab --no-browser --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks

walkthrough: $(STAMP)  ## the self-study site in site/ from the recorded full-budget run (BUDGET=smoke|grade|full executes afresh)
	$(BIN)/python -m autograder walkthrough --out site $(if $(BUDGET),--budget $(BUDGET))

walkthrough-record: $(STAMP)  ## execute the masters at the full budget into walkthrough/full/ (about 90 min on 2 cores)
	$(BIN)/python -m autograder walkthrough --record $(ASSIGNMENTS)

bench: $(STAMP)  ## training and grading benchmarks -> benchmarks/results/bench.{json,md}
	$(BIN)/python -m benchmarks.bench

reproduce: $(STAMP)  ## every experiment at the full budget, MNIST x 3 seeds, two runs at a time, the MLPs (but one) and the base CNN in bfloat16 where native -> docs/reproduction.md (resumable)
	$(BIN)/python -m benchmarks.reproduce

clean:
	rm -rf $(VENV) demo-out site bundle
