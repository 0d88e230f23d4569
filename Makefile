# Two entry points for a fresh Debian machine: `make demo` and `make test`. Each sets itself up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Faces for the synthetic data (lector synth fonts lists what validates): metric clones of Helvetica,
# Times and Courier (croscore, liberation incl. Narrow), office and web sans/serif, receipt-like and
# terminal monospace faces (glasstty VT220 dot matrix, 3270, OCR-B, Courier Prime), condensed cuts.
SYNTH_FONTS := fonts-croscore fonts-liberation fonts-dejavu-extra fonts-roboto-unhinted fonts-open-sans fonts-lato \
	fonts-paratype fonts-linuxlibertine fonts-ebgaramond fonts-sil-gentium fonts-cantarell fonts-oxygen fonts-karla \
	fonts-quicksand fonts-dosis fonts-manrope fonts-league-spartan fonts-comic-neue fonts-b612 fonts-go \
	fonts-noto-mono fonts-inconsolata fonts-firacode fonts-hack fonts-jetbrains-mono fonts-mononoki \
	fonts-anonymous-pro fonts-monofur fonts-courier-prime fonts-3270 fonts-glasstty fonts-ocr-b
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd poppler-utils qpdf mupdf-tools fonts-dejavu fonts-liberation2 \
	fonts-urw-base35 fonts-noto-core fonts-freefont-ttf fonts-crosextra-carlito fonts-crosextra-caladea \
	$(SYNTH_FONTS)

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
	$(BIN)/python bench/bench_synth.py
	$(BIN)/python bench/bench_postprocess.py
	$(BIN)/python bench/bench_training.py


clean:
	rm -rf out .pytest_cache
