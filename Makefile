# promptbuild: make for prompts.
GO      ?= go
BIN     := bin/promptbuild
DEMO    := .demo/quickstart
PKGS    := ./...

.PHONY: all build test race bench bench-rate lint fmt demo fuzz clean

all: build test

build:
	$(GO) build -o $(BIN) ./cmd/promptbuild

# The test suite: unit and table tests, the testscript CLI scripts, and the
# executor and cache under the race detector.
test:
	$(GO) vet $(PKGS)
	$(GO) test $(PKGS)
	$(GO) test -race ./executor/... ./cache/... ./planner/...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 5x -benchmem ./...

# The issue's rate-limit figure: 300 runs at requests_per_minute = 600
# against a server that answers 429 above that rate (30 s).
bench-rate:
	PROMPTBUILD_BENCH_RATE=1 $(GO) test -run '^$$' -bench RateLimit600rpm -benchtime 1x ./executor/

lint:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

# The quickstart, offline: a fresh copy, a plan, an apply, and a second apply
# that has nothing to do.
demo: build
	rm -rf $(DEMO) && mkdir -p .demo && cp -r examples/quickstart $(DEMO)
	$(BIN) -C $(DEMO) plan
	$(BIN) -C $(DEMO) apply
	$(BIN) -C $(DEMO) apply
	@echo; echo "== $(DEMO)/out/title.txt"; cat $(DEMO)/out/title.txt; echo

FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME) ./lang/
	$(GO) test -run '^$$' -fuzz FuzzAssertFunctions -fuzztime $(FUZZTIME) ./lang/
	$(GO) test -run '^$$' -fuzz FuzzReadLock -fuzztime $(FUZZTIME) ./cache/
	$(GO) test -run '^$$' -fuzz FuzzAppendQuoted -fuzztime $(FUZZTIME) ./planner/

clean:
	rm -rf bin .demo
