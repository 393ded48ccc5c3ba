# modelward build, test and demo targets. Go 1.26; the binary is pure Go.
GO        ?= go
BIN       ?= bin/modelward
FUZZTIME  ?= 30s
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/modelward/modelward/internal/version.Version=$(VERSION)

.PHONY: all build demo test test-short bench fuzz lint clean eval-extraction

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/modelward

# demo scans the bundled sample models: one clean, one malicious. The
# malicious scan exits 1 by design; the demo shows both verdicts.
demo: build
	@echo "== modelward scan examples/clean-model"
	@./$(BIN) scan --verbose examples/clean-model; echo "exit status: $$?"
	@echo
	@echo "== modelward scan examples/malicious-model"
	@./$(BIN) scan examples/malicious-model; echo "exit status: $$?"

# test runs the whole suite with the race detector (which needs cgo; the
# shipped binary does not).
test:
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...

test-short:
	$(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# fuzz runs every fuzz target for FUZZTIME each.
fuzz:
	@for t in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$t 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$t $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$t || exit 1; \
	  done; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	CGO_ENABLED=0 $(GO) vet ./...
	CGO_ENABLED=0 $(GO) run $(STATICCHECK) ./...

# eval-extraction runs real extraction attacks on the digits model through
# the gateway and prints what was detected and what was stolen.
eval-extraction: ; go run ./gateway/eval/cmd/evalextraction

clean:
	rm -rf bin
