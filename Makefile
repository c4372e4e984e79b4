# vaetutor — set-up, the notebook series, and the tests.
#
#   make run                 execute the whole series (quick profile) into build/ and build the book from it
#   make book                the book (build/book/index.html) from the committed notebooks, not executed
#   make run PROFILE=full    the same with the articles' settings
#   make test                unit tests + every notebook under nbval (quick profile)
#   make test-full           the committed full-profile notebooks re-run with the published weights
#   make run BACKEND=jax     the same on another Keras backend: tensorflow (the default), jax, torch
#   make test BACKEND=jax    make test on that backend (installs JAX or PyTorch when needed)
#   make test-backends       the unit tests on each backend in turn: tensorflow, jax, torch
#   make test-torch          the unit tests on Keras' PyTorch backend (make unit BACKEND=torch)
#   make device              which Keras backend and device the notebooks run on
#   make setup-gpu           install the GPU builds of TensorFlow, JAX and PyTorch (Linux, NVIDIA)
#   make lab                 JupyterLab on the notebooks
#   make sync                keep each notebooks/NN_*.py and .ipynb pair in step (jupytext)
#   make notebooks           re-execute the committed notebooks in place (full profile)
#   make thumbnails          refresh docs/thumbnails/ from the notebooks' key figures
#   make bench               training speed: the package's models against the usual way of writing them
#   make assignments         nbgrader course in build/course/: student versions of notebooks/exercises/
#
# Every target first creates .venv/ in the checkout and installs the package into it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PROFILE ?= quick
# The Keras backend of run, test, unit and device: tensorflow, jax or torch.
BACKEND ?= tensorflow
BACKENDS := tensorflow jax torch
ifeq ($(filter $(BACKEND),$(BACKENDS)),)
$(error BACKEND must be one of $(BACKENDS); got "$(BACKEND)")
endif
# PyTorch for BACKEND=torch. 2.13.0 is the CPU build this project's CI machines carry; on other
# Linux machines PyPI's torch is a large CUDA build: for the CPU one, set
# PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu and TORCH=torch.
TORCH ?= torch==2.13.0
# pytest's marker filter for test and unit: the slow tests (make bench's own test) run with
# `make unit MARKERS=slow`.
MARKERS ?= not slow
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.PHONY: setup setup-gpu backend device run book test test-full test-torch test-backends unit lab sync notebooks thumbnails bench assignments clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml jupyter/ipython_kernel_config.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,course]'
	mkdir -p $(VENV)/etc/ipython && cp jupyter/ipython_kernel_config.py $(VENV)/etc/ipython/
	@touch $@

# The framework of each backend, installed once (TensorFlow is a dependency of the package).
backend: $(VENV)/.backend-$(BACKEND)

$(VENV)/.backend-tensorflow: $(VENV)/.installed
	@touch $@

$(VENV)/.backend-jax: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,jax]'
	@touch $@

$(VENV)/.backend-torch: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,torch]' "$(TORCH)"
	@touch $@

# GPU builds of all three backends (pyproject.toml's [gpu] extra); the backends' CPU installs
# above are then skipped.
setup-gpu: setup
	$(BIN)/python -m pip install --quiet -e '.[dev,gpu]'
	@touch $(foreach b,$(BACKENDS),$(VENV)/.backend-$(b))

# REQUIRE_GPU=1: fail unless the backend computes on an accelerator.
device: setup backend
	KERAS_BACKEND=$(BACKEND) $(BIN)/python -m vaetutor.runtime $(if $(REQUIRE_GPU),--require-accelerator)

run: setup backend
	KERAS_BACKEND=$(BACKEND) VAETUTOR_PROFILE=$(PROFILE) $(BIN)/python scripts/run_series.py --output build $(NOTEBOOKS)

# A static site (Sphinx + MyST-NB + sphinx-book-theme) that works offline, opened as a file.
book: setup
	$(BIN)/python scripts/build_book.py --output build/book

test: setup backend
	KERAS_BACKEND=$(BACKEND) VAETUTOR_PROFILE=quick $(BIN)/python -m pytest tests $(NOTEBOOKS) \
		-m "$(MARKERS)" --nbval --nbval-current-env --nbval-cell-timeout=1800 -p no:cacheprovider

# The committed full-profile notebooks re-executed with the published weights (nothing is
# trained: a missing or changed published run is an error), every output compared under nbval.
FULL_CHECKED := $(NOTEBOOKS)
test-full: setup
	VAETUTOR_PROFILE=full VAETUTOR_REQUIRE_PUBLISHED=1 $(BIN)/python -m pytest $(FULL_CHECKED) \
		--nbval --nbval-current-env --nbval-cell-timeout=1800 -p no:cacheprovider

# The models and losses use keras.ops / keras.random only; these check that they run on every
# backend (and that a model saved on one loads on the others: tests/test_backends.py).
test-torch:
	$(MAKE) --no-print-directory unit BACKEND=torch

test-backends: setup $(foreach b,$(BACKENDS),$(VENV)/.backend-$(b))
	@for backend in $(BACKENDS); do \
		echo "unit tests on the $$backend backend"; \
		$(MAKE) --no-print-directory unit BACKEND=$$backend || exit 1; \
	done

unit: setup backend
	KERAS_BACKEND=$(BACKEND) $(BIN)/python -m pytest tests -m "$(MARKERS)" -p no:cacheprovider

lab: setup
	$(BIN)/jupyter lab notebooks

sync: setup
	$(BIN)/jupytext --sync notebooks/[0-9][0-9]_*.py notebooks/exercises/[0-9][0-9]_*.py

notebooks: PROFILE = full
notebooks: setup
	@for nb in $(NOTEBOOKS); do \
		echo "executing $$nb (profile $(PROFILE))"; \
		VAETUTOR_PROFILE=$(PROFILE) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=-1 "$$nb" || exit 1; \
	done

thumbnails: setup
	$(BIN)/python scripts/make_thumbnails.py $(NOTEBOOKS)

bench: setup $(VENV)/.backend-jax $(VENV)/.backend-torch
	$(BIN)/python scripts/bench.py

# The course: one nbgrader assignment per companion notebook (notebooks/exercises/), the student
# versions in build/course/release/. Offline: needs only the MNIST file in the Keras cache.
assignments: setup
	$(BIN)/python scripts/make_assignments.py --course build/course

clean:
	rm -rf build
