# Two entry points for a fresh Debian machine: `make demo` and `make test`. Each sets itself up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd poppler-utils qpdf mupdf-tools fonts-dejavu fonts-liberation2 \
	fonts-urw-base35 fonts-noto-core fonts-freefont-ttf fonts-crosextra-carlito fonts-crosextra-caladea

.PHONY: demo test bench system venv venv-train clean

system:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# Inference only: no torch (the `lector ocr` path runs on ONNX Runtime).
$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

# Training and tests: torch pinned to 2.13.0 (CPU wheel), onnx, wordfreq, pytest...
$(VENV)/.train: $(VENV)/.runtime
	$(BIN)/pip install -q -e '.[train,test]'
	touch $@

venv: $(VENV)/.runtime
venv-train: $(VENV)/.train

demo: system venv
	$(BIN)/lector ocr samples/receipt.jpg -o out/receipt
	@echo "--- out/receipt.txt"; cat out/receipt.txt
	@echo "--- wrote out/receipt.json out/receipt.txt out/receipt.pdf"

test: system venv-train
	$(BIN)/python -m pytest -q

# Speed and accuracy figures into bench/results/*.json (about 15 minutes on 2 cores).
bench: system venv-train
	$(BIN)/python bench/run_bench.py --pages 40
	$(BIN)/python bench/bench_detect.py --limit 80
	$(BIN)/python bench/bench_photo.py --debug-dir ''
	$(BIN)/python bench/bench_orientation.py --osd-pages 40


clean:
	rm -rf out .pytest_cache
