# Every target wraps a deno.json task, so `make X` and `deno task X` cannot drift.
# When `deno` is not on PATH, the pinned Deno is installed from the npm registry
# package `deno` into .tools/ (git-ignored) and used from there.
DENO_VERSION := 2.9.6
TOOLS := $(CURDIR)/.tools
SYSTEM_DENO := $(shell command -v deno 2>/dev/null)
ifeq ($(SYSTEM_DENO),)
DENO := $(TOOLS)/node_modules/.bin/deno
export PATH := $(TOOLS)/node_modules/.bin:$(PATH)
else
DENO := $(SYSTEM_DENO)
endif

# `make install` puts a `stave` command in $(PREFIX)/bin (lib in $(PREFIX)/lib/stave).
PREFIX ?= $(HOME)/.local

.PHONY: test check demo binary bench fuzz install interop deno clean

test: deno
	$(DENO) task --quiet check
	$(DENO) task --quiet test

check: deno
	$(DENO) task --quiet check

demo: deno
	$(DENO) run --quiet --allow-read --allow-write --allow-env --allow-net --allow-run scripts/demo.ts

bench: deno
	$(DENO) task --quiet bench
	$(DENO) task --quiet bench:sign

# A bounded fuzz campaign (deno task fuzz); e.g. FUZZ_FLAGS="--seed 7" or
# "--requests 100000" for a long one.
fuzz: deno
	$(DENO) task --quiet fuzz $(FUZZ_FLAGS)

# Needs Go and the Go module proxy (builds geth and Clef into .tools/interop/).
interop: deno
	$(DENO) task --quiet interop

binary: deno
	$(DENO) task --quiet build

install: deno
	$(DENO) task --quiet install --prefix "$(PREFIX)"

deno: $(DENO)

$(TOOLS)/node_modules/.bin/deno:
	mkdir -p $(TOOLS)
	npm install --silent --no-save --no-audit --no-fund --prefix $(TOOLS) deno@$(DENO_VERSION)
	$(TOOLS)/node_modules/.bin/deno --version

clean:
	rm -rf $(TOOLS) dist
