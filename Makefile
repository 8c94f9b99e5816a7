# Set-up and the two README commands. Everything lives in .venv/ in the repository root.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := corpora/samples/noordkust_mode_2023.pdf

# No model hub: every model comes inside a pip package.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 60

.PHONY: setup sample test chromium

# torch first and pinned: an unpinned torch pulls a CUDA build of several GB.
$(BIN)/imvo: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23.2"
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

setup: $(BIN)/imvo

## Screen the bundled sample report and write its scorecard to out/sample/
sample: setup
	$(BIN)/imvo screen $(SAMPLE) --covenant textile --company "Noordkust Mode B.V." --year 2023 --out out/sample

## Headless Chromium for the browser tests: the Debian package, never a browser Playwright downloads
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver)

## Run the tests (real-report tests skip when ../shared/data is absent)
test: setup chromium
	PREFECT_HOME=$$(mktemp -d) $(BIN)/python -m pytest
