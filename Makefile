# The two commands of the README: `make run` and `make test`.
# Everything they need is built here from versions pinned in the repository:
#   tools/protoc/go.mod   protoc plugins, grpcurl, grpc-health-probe (Go tools)
#   tools/buf/package.json + package-lock.json   buf (prebuilt from npm)
#   go.mod (root)         tools/protodeps, which prints third-party protos

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

BIN      := $(CURDIR)/bin
BUF      := tools/buf/node_modules/.bin/buf
GO_TOOLS := $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc $(BIN)/protoc-gen-go-aip $(BIN)/protoc-gen-grpc-gateway \
            $(BIN)/protoc-gen-openapiv2 $(BIN)/grpcurl $(BIN)/grpc-health-probe
GO_TEST_FLAGS ?=

.PHONY: run test generate generate-locked check-generated lint build tools protodeps demo clean

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

## lint: buf lint, gofmt and go vet
lint: tools protodeps
	$(BUF) lint
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./... ./gen/...

## test: the whole suite — generated code fresh, lint, unit, service (SQLite
## and, when BPO_TEST_POSTGRES_DSN is set, PostgreSQL) and end-to-end tests
test: check-generated lint build
	@# -json through tools/testreport: failures in full, then what ran, with
	@# the PostgreSQL variants counted (pipefail keeps go test's status).
	go build -o $(BIN)/testreport ./tools/testreport
	PATH="$(BIN):$$PATH" go test -json $(GO_TEST_FLAGS) ./... | $(BIN)/testreport

## demo: walk one engagement through the platform against a running `make run`
demo: build
	$(BIN)/bpo demo

clean:
	rm -rf bin build
