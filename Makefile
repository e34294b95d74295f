# Two commands do all set-up on a fresh machine with Python 3.11 and pip:
#   make quickstart   train a small Delta Net LM on WikiText-2 text, print its test perplexity
#   make test         run the test suite
# Both create .venv on first use and reuse it afterwards.

PYTHON ?= python3
VENV ?= .venv
DATA ?= ../shared/data/wikitext-2
OUT ?= runs/quickstart
INSTALLED := $(VENV)/.installed

.PHONY: install quickstart test

install: $(INSTALLED)

# The order matters: a pinned CPU torch first, then fairseq-fixed built without
# build isolation (an isolated build would pull a CUDA torch), then triton (optional
# on CPU: the tests run the Triton kernels under its interpreter), then this package
# with its test and rl extras (TorchRL, ale-py, gymnasium).
$(INSTALLED): setup.cfg pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install torch==2.13.0
	$(VENV)/bin/python -m pip install setuptools wheel cython "numpy>=1.21.3"
	$(VENV)/bin/python -m pip install --no-build-isolation fairseq-fixed==0.12.3.1
	$(VENV)/bin/python -m pip install triton==3.7.1
	$(VENV)/bin/python -m pip install --no-build-isolation -e ".[test,rl]"
	touch $(INSTALLED)

quickstart: $(INSTALLED)
	PATH="$(abspath $(VENV))/bin:$$PATH" bash recipes/quickstart.sh $(DATA) $(OUT)

test: $(INSTALLED)
	$(VENV)/bin/python -m pytest tests
