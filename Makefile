# The two commands of the README: `make run` and `make test`.
# Everything they need is built here from versions pinned in the repository:
#   tools/protoc/go.mod   protoc plugins, grpcurl, grpc-health-probe (Go tools)
#   tools/buf/package.json + package-lock.json   buf (prebuilt from npm)
#   go.mod (root)         tools/protodeps, which prints third-party protos
#   tools/bench/go.mod    the load generators of `make bench` (ghz, bombardier)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

BIN      := $(CURDIR)/bin
BUF      := tools/buf/node_modules/.bin/buf
GO_TOOLS := $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc $(BIN)/protoc-gen-go-aip $(BIN)/protoc-gen-grpc-gateway \
            $(BIN)/protoc-gen-openapiv2 $(BIN)/grpcurl $(BIN)/grpc-health-probe
GO_TEST_FLAGS ?=

.PHONY: bench bench-build run test generate generate-locked check-generated lint build tools protodeps demo browser clean

## run: start every service and the REST gateway on SQLite files in ./data
run: build
	$(BIN)/bpo serve

## build: the bpo binary
build:
	go build -o $(BIN)/bpo ./cmd/bpo

## tools: build the pinned code-generation and operator tools into bin/
tools: $(GO_TOOLS) $(BUF)

$(GO_TOOLS) &: tools/protoc/go.mod tools/protoc/go.sum
	GOWORK=off go build -C tools/protoc -o $(BIN)/ tool
	@touch $(GO_TOOLS)

$(BUF): tools/buf/package.json tools/buf/package-lock.json
	npm ci --prefix tools/buf --no-audit --no-fund --loglevel=error
	@touch $(BUF)

## protodeps: print the third-party protos we import from go.mod's modules
protodeps:
	rm -rf build/protodeps
	go run ./tools/protodeps -out build/protodeps

## generate: rebuild gen/ (Go, gRPC, gateway, OpenAPI) from proto/, offline
generate: tools
	@mkdir -p build
	@# flock: several engineers (or agents) may regenerate in one checkout.
	flock build/generate.lock $(MAKE) --no-print-directory generate-locked

generate-locked: protodeps
	@# Generate beside gen/ and swap, so a failed run never leaves gen/ half gone.
	rm -rf build/gen && $(BUF) generate --output build/gen
	rm -rf gen/go gen/openapi/*.json
	mv build/gen/gen/go gen/go && mv build/gen/gen/openapi/*.json gen/openapi/

## check-generated: fail when gen/ is not what proto/ generates
check-generated: generate
	@if [ -n "$$(git status --porcelain -- gen)" ]; then \
	  echo "gen/ is stale: run 'make generate' and commit the result"; \
	  git status --porcelain -- gen; git --no-pager diff --stat -- gen; exit 1; fi

## lint: buf lint, buf breaking (against the previous commit), gofmt and go vet
lint: tools protodeps
	$(BUF) lint
	@# buf breaking, offline: the previous commit's buf.yaml and proto/ beside
	@# today's third-party protos (build/protodeps is not in git, so
	@# '.git#ref=HEAD~1' alone cannot build). Additions are not breaking.
	@if git rev-parse -q --verify HEAD~1 >/dev/null; then \
	  rm -rf build/against && mkdir -p build/against/build && \
	  git archive HEAD~1 buf.yaml proto | tar -x -C build/against && \
	  cp -r build/protodeps build/against/build/ && \
	  echo "$(BUF) breaking --against HEAD~1" && $(BUF) breaking --against build/against; \
	else echo "buf breaking skipped: no previous commit (a shallow clone?)"; fi
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./... ./gen/...

## test: the whole suite — generated code fresh, lint, unit, service (SQLite
## and, when BPO_TEST_POSTGRES_DSN is set, PostgreSQL) and end-to-end tests
test: check-generated lint build bench-build
	@# -json through tools/testreport: failures in full, then what ran, with
	@# the PostgreSQL variants counted (pipefail keeps go test's status).
	go build -o $(BIN)/testreport ./tools/testreport
	PATH="$(BIN):$$PATH" go test -json $(GO_TEST_FLAGS) ./... | $(BIN)/testreport

## bench: measure the hot paths beside their references (README, "Performance");
## servers on core 0, load on core 1; PostgreSQL too when BPO_TEST_POSTGRES_DSN is set
BENCH_FLAGS ?=
bench: bench-build
	taskset -c 1 $(BIN)/bench -bin $(BIN) $(BENCH_FLAGS)

## bench-build: the harness, its reference server and its pinned load generators
## (built by `make test` too, so the harness cannot rot; never run there)
BENCH_TOOLS := $(BIN)/ghz $(BIN)/bombardier
bench-build: build $(BENCH_TOOLS)
	go build -o $(BIN)/bench ./bench
	go build -o $(BIN)/benchref ./cmd/benchref

$(BENCH_TOOLS) &: tools/bench/go.mod tools/bench/go.sum
	GOWORK=off go build -C tools/bench -o $(BIN)/ tool
	@touch $(BENCH_TOOLS)

## browser: install Chromium for the console's browser tests (e2e/console_test.go),
## from Debian's chromium package (as root); `make test` fails without it
browser:
	@if [ -x /usr/bin/chromium ]; then /usr/bin/chromium --version 2>/dev/null; \
	elif [ "$$(id -u)" -ne 0 ]; then echo "installing Chromium needs root: sudo make browser (or apt-get install chromium)"; exit 1; \
	else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium && /usr/bin/chromium --version 2>/dev/null; fi

## demo: walk one engagement through the platform against a running `make run`
demo: build
	$(BIN)/bpo demo

clean:
	rm -rf bin build
