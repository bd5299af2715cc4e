# promptbuild: make for prompts.
GO      ?= go
BIN     := bin/promptbuild
DEMO    := .demo/quickstart
PKGS    := ./...

.PHONY: all build test cross race cover crashtest bench bench-rate lint fmt demo fuzz clean

all: build test

build:
	$(GO) build -o $(BIN) ./cmd/promptbuild

# The test suite: unit and table tests, the testscript CLI scripts, the
# executor and cache under the race detector, and the cross builds.
test: cross
	$(GO) vet $(PKGS)
	$(GO) test $(PKGS)
	$(GO) test -race ./executor/... ./cache/... ./planner/...

# The platforms users install on besides this one: the command must build
# and every package (tests included) must vet for each, so a platform
# break fails here and not on a user's machine.
CROSS := windows/amd64 darwin/arm64 linux/arm64
cross:
	@set -e; for p in $(CROSS); do \
		echo "cross: $$p"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null ./cmd/promptbuild; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet $(PKGS); \
	done

# Statement coverage per package, measured twice: by each package's own
# tests, and by the whole suite with -coverpkg=./... (so that the CLI
# scripts and the tests of other packages count). Fails below the targets.
COVERDIR := .cover
COVERMIN := -min planner=85/90 -min executor=/90 -min cache=/90 -min cache/lockfile=/90
cover:
	mkdir -p $(COVERDIR)
	$(GO) test -coverprofile=$(COVERDIR)/own.out $(PKGS) >$(COVERDIR)/own.log || { cat $(COVERDIR)/own.log; exit 1; }
	$(GO) test -coverpkg=./... -coverprofile=$(COVERDIR)/suite.out $(PKGS) >$(COVERDIR)/suite.log || { cat $(COVERDIR)/suite.log; exit 1; }
	$(GO) run ./internal/covertable -own $(COVERDIR)/own.out -suite $(COVERDIR)/suite.out $(COVERMIN)

# The crash test with 50 kills instead of make test's 5 (about a minute):
# apply killed with SIGKILL early, in the middle and while it writes the
# lock file, and checked after each kill. Linux only.
crashtest:
	PROMPTBUILD_CRASH_KILLS=50 $(GO) test -count=1 -run '^TestCrash$$' -v ./cmd/promptbuild/

# The benchmarks, 5 iterations each. Those of bench/ generate projects
# under $$TMPDIR (TMPDIR=/dev/shm keeps the disk's latency out of the
# figures); among them a no-op plan of 100,000 runs (stamped, as a user
# runs it again, and unstamped, doing all its work) and an apply that
# changes one of their inputs, whose project takes a minute or two to
# generate and apply. BenchmarkNoopPlan10k/ninja times ninja's no-op over
# the files of the 10,000-run project, for comparison, and is skipped when
# ninja is not on PATH (Debian, Ubuntu: apt-get install ninja-build).
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
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./cache/lockfile/
	$(GO) test -run '^$$' -fuzz FuzzSplice -fuzztime $(FUZZTIME) ./cache/lockfile/
	$(GO) test -run '^$$' -fuzz FuzzAppendQuoted -fuzztime $(FUZZTIME) ./planner/
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./internal/stamp/

clean:
	rm -rf bin .demo $(COVERDIR)
