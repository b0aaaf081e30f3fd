# mini: build, run and test. Every target fetches what it needs (Go modules
# through the Go proxy); nothing is installed by hand.
GO      ?= go
BIN     := bin/mini
export CGO_ENABLED := 0

.PHONY: build up down test unit e2e deps vet bench clean

## build: the static mini binary at bin/mini
build:
	$(GO) build -trimpath -o $(BIN) ./cmd/mini

## up: build, then start a 3-node cluster named "mini"
up: build
	./$(BIN) up --name mini --nodes 3

## down: delete the "mini" cluster
down: build
	./$(BIN) down --name mini

## test: vet, unit tests (race detector) and end-to-end tests on real Docker
test: vet unit e2e

vet:
	$(GO) mod download
	test -z "$$(gofmt -l cmd cluster nodeimage)" || (gofmt -l cmd cluster nodeimage; exit 1)
	$(GO) vet ./...

unit:
	CGO_ENABLED=1 $(GO) test -race -short -count=1 ./...

## deps: Debian packages the end-to-end tests use (tmux drives mini ui; diff serves kubectl diff;
## busybox-static's /bin/busybox goes into the mini-test/busybox image, see cluster/testimages)
deps:
	@command -v tmux >/dev/null && command -v diff >/dev/null && test -x /bin/busybox || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux diffutils busybox-static)

e2e: build deps
	MINI_BINARY=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 30m ./cluster/docker/ ./nodeimage/ ./cluster/e2e/...

## bench: lifecycle, API, watch and memory against baselines of the same run (bench-results.json)
bench: build
	$(GO) run ./cmd/minibench --mini $(CURDIR)/$(BIN)

clean:
	rm -rf bin
