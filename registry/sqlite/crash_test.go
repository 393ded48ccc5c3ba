package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelward/modelward/registry"
)

// crashEnv carries the database path to the child process.
const crashEnv = "MODELWARD_SQLITE_CRASH_DB"

// TestCrashChild is the writer TestCrashSafety kills; alone it skips.
// It prints a line for each change only after the store acknowledged it.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("only run as TestCrashSafety's child")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // if never killed
	defer cancel()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(2)
	}
	var out sync.Mutex
	ack := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(os.Stdout, "ack "+format+" end\n", args...) // one write(2)
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() { crashWriter(ctx, s, w, ack) })
	}
	wg.Wait()
}

// crashWriter pushes versions of its own model, updates the latest one
// and creates tokens, until ctx ends or a call fails.
func crashWriter(ctx context.Context, s *Store, w int, ack func(string, ...any)) {
	model := fmt.Sprintf("crash%d", w)
	var latest int64
	for i := 0; ctx.Err() == nil; i++ {
		switch {
		case latest == 0 || i%5 == 0:
			v := &registry.Version{Model: model, Digest: "sha256:00", Files: []registry.File{{Path: ".", Digest: "00", Size: int64(i)}}}
			if s.CreateVersion(ctx, v, &registry.AuditEntry{Actor: "local:crash", Action: "version.push"}) != nil {
				return
			}
			latest = v.Number
			ack("create %s %d", model, v.Number)
		case i%7 == 0:
			id := fmt.Sprintf("tok-%d-%d-%d", os.Getpid(), w, i)
			h := make([]byte, 32)
			t := &registry.Token{ID: id, SecretHash: h, Role: registry.RoleViewer}
			if s.CreateToken(ctx, t, &registry.AuditEntry{Actor: "local:crash", Action: "token.create"}) != nil {
				return
			}
			ack("token %s", id)
		default:
			v, err := s.UpdateVersion(ctx, model, latest, func(v *registry.Version) (*registry.AuditEntry, error) {
				v.Findings++
				return &registry.AuditEntry{Actor: "local:crash", Action: "version.finding"}, nil
			})
			if err != nil {
				return
			}
			ack("update %s %d %d", model, v.Number, v.Revision)
		}
	}
}

// TestCrashSafety kills a busy writer with SIGKILL at random moments and
// checks that every acknowledged change survived, that state and log
// agree (no half-written change) and that the log still verifies.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes; skipped with -short")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	acked := map[string]bool{}
	for round := range 6 {
		lines := runAndKill(t, path)
		for _, l := range lines {
			acked[l] = true
		}
		t.Logf("round %d: %d changes acknowledged before the kill", round, len(lines))
		checkAfterCrash(t, path, acked)
	}
}

// runAndKill starts the child, lets it acknowledge some changes, kills it
// at a random moment and returns the acknowledgements it printed.
func runAndKill(t *testing.T, path string) []string {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var lines []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		lines = readAcks(stdout, started)
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child acknowledged nothing in 10 s")
	}
	time.Sleep(time.Duration(rand.Int64N(int64(800 * time.Millisecond))))
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred code runs
		t.Fatal(err)
	}
	<-done
	cmd.Wait()
	return lines
}

// readAcks collects complete acknowledgement lines; started is closed
// after the first few, so the kill lands in the middle of real work.
func readAcks(r io.Reader, started chan struct{}) []string {
	var lines []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "ack ") || !strings.HasSuffix(l, " end") {
			continue
		}
		lines = append(lines, strings.TrimSuffix(strings.TrimPrefix(l, "ack "), " end"))
		if len(lines) == 20 {
			close(started)
		}
	}
	if len(lines) < 20 {
		close(started)
	}
	return lines
}

func checkAfterCrash(t *testing.T, path string, acked map[string]bool) {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen after the kill: %v", err)
	}
	defer s.Close()
	for l := range acked {
		checkAck(t, s, l)
	}
	entries := allEntries(t, s)
	if _, _, err := registry.VerifyChain(0, nil, entries); err != nil {
		t.Fatalf("the log does not verify after the kill: %v", err)
	}
	checkStateMatchesLog(t, s, entries)
}

// checkAck checks one acknowledged change is in the database.
func checkAck(t *testing.T, s *Store, l string) {
	var model, id string
	var n, rev int64
	switch {
	case strings.HasPrefix(l, "create "):
		fmt.Sscanf(l, "create %s %d", &model, &n)
		if _, err := s.Version(t.Context(), model, n); err != nil {
			t.Fatalf("acknowledged %q lost: %v", l, err)
		}
	case strings.HasPrefix(l, "update "):
		fmt.Sscanf(l, "update %s %d %d", &model, &n, &rev)
		v, err := s.Version(t.Context(), model, n)
		if err != nil || v.Revision < rev {
			t.Fatalf("acknowledged %q lost: %v", l, err)
		}
	case strings.HasPrefix(l, "token "):
		fmt.Sscanf(l, "token %s", &id)
		if _, err := s.Token(t.Context(), id); err != nil {
			t.Fatalf("acknowledged %q lost: %v", l, err)
		}
	default:
		t.Fatalf("unknown acknowledgement %q", l)
	}
}

func allEntries(t *testing.T, s *Store) []registry.AuditEntry {
	var all []registry.AuditEntry
	for {
		page, err := s.Audit(t.Context(), int64(len(all)), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

// checkStateMatchesLog checks each version and token has exactly the
// entries its changes appended: a change without its entry, or an entry
// without its change, is a half-written transaction.
func checkStateMatchesLog(t *testing.T, s *Store, entries []registry.AuditEntry) {
	pushes, updates := map[string]int64{}, map[string]int64{}
	tokens := 0
	for _, e := range entries {
		key := fmt.Sprintf("%s@%d", e.Model, e.Version)
		switch e.Action {
		case "version.push":
			pushes[key]++
		case "version.finding":
			updates[key]++
		case "token.create":
			tokens++
		}
	}
	for w := range 6 {
		model := fmt.Sprintf("crash%d", w)
		for _, v := range allPages(t, func(p registry.Page) ([]*registry.Version, string, error) {
			return s.Versions(t.Context(), model, p)
		}) {
			key := fmt.Sprintf("%s@%d", v.Model, v.Number)
			if pushes[key] != 1 || updates[key] != v.Revision-1 || int64(v.Findings) != v.Revision-1 {
				t.Fatalf("%s: revision %d, findings %d, but the log has %d pushes and %d updates",
					key, v.Revision, v.Findings, pushes[key], updates[key])
			}
			delete(pushes, key)
		}
	}
	if len(pushes) != 0 {
		t.Fatalf("the log records pushes of versions that do not exist: %v", pushes)
	}
	toks := allPages(t, func(p registry.Page) ([]*registry.Token, string, error) { return s.Tokens(t.Context(), p) })
	if len(toks) != tokens {
		t.Fatalf("%d tokens but %d token.create entries", len(toks), tokens)
	}
}

// allPages follows a listing's cursors to its end.
func allPages[T any](t *testing.T, list func(registry.Page) ([]T, string, error)) []T {
	var all []T
	p := registry.Page{}
	for {
		page, next, err := list(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		p.After = next
	}
}
