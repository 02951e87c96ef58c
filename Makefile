# The commands a new user needs are `make run` and `make test` (README.md).
GO      ?= go
BIN     := bin/ordinal
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
ARGS    ?=
# DATA_DIR picks the cluster's data dir for `make run` (default: ordinal's own default).
DATA_DIR ?=
DATA_DIR_FLAG := $(if $(DATA_DIR),--data-dir $(DATA_DIR))
# Debian packages the runtime and the tests use.
HOST_PACKAGES := busybox-static runc containernetworking-plugins nftables iptables iproute2

.PHONY: build run host-packages test test-short bench lint clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/ordinal
	$(GO) build -o bin/ordinal-shim ./internal/runtime/process/ordinal-shim

# Installs what is missing, loads a busybox image built from Debian's busybox-static (so the
# examples need no registry), and starts a single-machine cluster in the foreground; Ctrl-C
# stops it.
run: build bin/busybox.tar
	./$(BIN) image import $(DATA_DIR_FLAG) bin/busybox.tar
	./$(BIN) up $(DATA_DIR_FLAG) $(ARGS)

host-packages:
	./hack/host-packages.sh $(HOST_PACKAGES)

bin/busybox.tar: host-packages
	@mkdir -p bin
	$(GO) run ./hack/busybox-image -o $@

# Unit, integration and end-to-end tests (the e2e tests drive bin/ordinal with the real kubectl),
# then the comparison of the cluster DNS with CoreDNS's (a module of its own: test/dnscompare).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	cd test/dnscompare && $(GO) vet ./... && $(GO) test -count=1 -timeout 10m ./...

test-short:
	$(GO) test -short ./...

# Measures the performance goals and prints a report for docs/BENCHMARKS.md.
bench: build
	$(GO) run ./test/bench -binary ./$(BIN)

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	rm -rf bin
