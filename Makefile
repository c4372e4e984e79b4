# vaetutor — set-up, the notebook series, and the tests.
#
#   make run                 execute the whole series (quick profile) into build/, with HTML pages
#   make run PROFILE=full    the same with the articles' settings
#   make test                unit tests + every notebook under nbval (quick profile)
#   make test-full           the committed full-profile notebooks re-run with the published weights
#   make test-torch          the unit tests again on Keras' PyTorch backend (installs PyTorch)
#   make lab                 JupyterLab on the notebooks
#   make sync                keep each notebooks/NN_*.py and .ipynb pair in step (jupytext)
#   make notebooks           re-execute the committed notebooks in place (full profile)
#   make thumbnails          refresh docs/thumbnails/ from the notebooks' key figures
#   make bench               training speed: the package's models against the usual way of writing them
#
# Every target first creates .venv/ in the checkout and installs the package into it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PROFILE ?= quick
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.PHONY: setup run test test-full test-torch unit lab sync notebooks thumbnails bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml jupyter/ipython_kernel_config.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	mkdir -p $(VENV)/etc/ipython && cp jupyter/ipython_kernel_config.py $(VENV)/etc/ipython/
	@touch $@

run: setup
	VAETUTOR_PROFILE=$(PROFILE) $(BIN)/python scripts/run_series.py --output build $(NOTEBOOKS)

test: setup
	VAETUTOR_PROFILE=quick $(BIN)/python -m pytest tests $(NOTEBOOKS) \
		--nbval --nbval-current-env --nbval-cell-timeout=1800 -p no:cacheprovider

# The committed full-profile notebooks re-executed with the published weights (nothing is
# trained: a missing or changed published run is an error), every output compared under nbval.
# Notebooks 04 and 05 join FULL_CHECKED when their runs are published.
FULL_CHECKED := notebooks/01_standard_normal_reference.ipynb notebooks/02_mlp_vae_mnist.ipynb \
	notebooks/03_kl_coefficient_sweep.ipynb
test-full: setup
	VAETUTOR_PROFILE=full VAETUTOR_REQUIRE_PUBLISHED=1 $(BIN)/python -m pytest $(FULL_CHECKED) \
		--nbval --nbval-current-env --nbval-cell-timeout=1800 -p no:cacheprovider

# The models and losses use keras.ops / keras.random only; this checks that they also run on
# PyTorch. (2.13.0 is the CPU build this project's CI machines carry; elsewhere pip may fetch a
# large CUDA build.)
test-torch: setup
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	KERAS_BACKEND=torch $(BIN)/python -m pytest tests -p no:cacheprovider

unit: setup
	$(BIN)/python -m pytest tests -p no:cacheprovider

lab: setup
	$(BIN)/jupyter lab notebooks

sync: setup
	$(BIN)/jupytext --sync notebooks/[0-9][0-9]_*.py

notebooks: PROFILE = full
notebooks: setup
	@for nb in $(NOTEBOOKS); do \
		echo "executing $$nb (profile $(PROFILE))"; \
		VAETUTOR_PROFILE=$(PROFILE) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=-1 "$$nb" || exit 1; \
	done

thumbnails: setup
	$(BIN)/python scripts/make_thumbnails.py $(NOTEBOOKS)

bench: setup
	$(BIN)/python scripts/bench.py

clean:
	rm -rf build
