# Coffer — the two commands a new user needs are `make run` and `make test`.
SHELL   := /bin/bash
GO      ?= go
GOBIN   := $(shell $(GO) env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Packages tested with -race; everything by default.
PKGS    ?= ./...

.PHONY: all build run demo test test-short deps lint generate check-generate bench fuzz clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/coffer ./cmd/coffer

## run: controller + agent in one process (coffer dev) on the embedded defaults under
## ./.coffer, dashboard and API on http://127.0.0.1:8080; registers a demo source
run: build
	bash scripts/run.sh

## demo: the controller-free `coffer repo` walk-through (init, backup, verify, restore)
demo: build
	bash scripts/repo-demo.sh

## deps: install everything the tests need (idempotent; fast when present)
deps:
	@for f in scripts/deps/*.sh; do echo "== $$f"; bash "$$f" || exit 1; done

## test: every test, with the race detector, against real servers
test: deps build
	$(GO) test -race -count=1 -timeout 40m $(PKGS)
	@echo "== without cgo: the pure-Go zstd fallback"
	CGO_ENABLED=0 $(GO) test -count=1 -run 'Encoder|Compress|RoundTrip|Vector' ./internal/repo

test-short:
	$(GO) test -short $(PKGS)

lint:
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build ./...
	staticcheck ./...

generate:
	bash scripts/generate.sh

## check-generate: fail when gen/ is not what `make generate` produces
check-generate: generate
	git diff --exit-code -- gen/ || (echo "gen/ is stale: run make generate and commit" >&2; exit 1)
	test -z "$$(git status --porcelain -- gen/)" || (git status --porcelain -- gen/; echo "gen/ has untracked files: run make generate and commit" >&2; exit 1)

## bench: Coffer against its peers, side by side, printed as ratios
bench: build
	bash scripts/bench.sh

fuzz:
	bash scripts/fuzz.sh

clean:
	rm -rf bin .coffer .bench
