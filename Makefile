# The commands a new user needs are `make run` and `make test` (README.md).
GO      ?= go
BIN     := bin/ordinal
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
ARGS    ?=

.PHONY: build run test test-short bench lint clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/ordinal

# Starts a single-machine cluster in the foreground; Ctrl-C stops it.
run: build
	./$(BIN) up $(ARGS)

# Unit, integration and end-to-end tests (the e2e tests drive bin/ordinal with the real kubectl).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

test-short:
	$(GO) test -short ./...

# Measures the performance goals and prints a report for docs/BENCHMARKS.md.
bench: build
	$(GO) run ./test/bench -binary ./$(BIN)

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1 ./...

clean:
	rm -rf bin
