package logbuf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder counts the writes that reach it.
type recorder struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
	fail   error
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return 0, r.fail
	}
	r.writes++
	return r.b.Write(p)
}

func (r *recorder) snapshot() (string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.String(), r.writes
}

// Lines from many writers arrive whole, in far fewer writes, and all of
// them are out after Close.
func TestBatchesWholeLines(t *testing.T) {
	rec := &recorder{}
	w := New(rec, time.Hour, 4096)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				fmt.Fprintf(w, "writer %d line %d %s\n", g, i, strings.Repeat("x", i%50))
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, writes := rec.snapshot()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4000 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		var g, i int
		var pad string
		if n, _ := fmt.Sscanf(l, "writer %d line %d %s", &g, &i, &pad); n < 2 || (i%50 > 0 && len(pad) != i%50) {
			t.Fatalf("torn line %q", l)
		}
	}
	if writes > len(out)/4096+10 {
		t.Errorf("%d writes for %d bytes", writes, len(out))
	}
}

// The ticker flushes without Close; a line larger than the buffer goes
// straight out after what was waiting; the first error sticks.
func TestFlushOversizeAndErrors(t *testing.T) {
	rec := &recorder{}
	w := New(rec, 10*time.Millisecond, 64)
	fmt.Fprint(w, "a\n")
	deadline := time.Now().Add(5 * time.Second)
	for out, _ := rec.snapshot(); out != "a\n"; out, _ = rec.snapshot() {
		if time.Now().After(deadline) {
			t.Fatal("never flushed by the ticker")
		}
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Fprint(w, "b\n")
	big := strings.Repeat("z", 100) + "\n"
	fmt.Fprint(w, big)
	if out, _ := rec.snapshot(); out != "a\nb\n"+big {
		t.Fatalf("order %q", out)
	}
	boom := errors.New("disk full")
	rec.mu.Lock()
	rec.fail = boom
	rec.mu.Unlock()
	fmt.Fprint(w, "c\n")
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Fatalf("flush: %v", err)
	}
	if _, err := w.Write([]byte("d\n")); !errors.Is(err, boom) {
		t.Fatalf("write after failure: %v", err)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Fatalf("close: %v", err)
	}
}

func TestWriteAfterClose(t *testing.T) {
	rec := &recorder{}
	w := New(rec, 0, 0)
	fmt.Fprint(w, "x\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "late\n")
	if out, _ := rec.snapshot(); out != "x\nlate\n" {
		t.Fatalf("%q", out)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// Serial keeps concurrent writes whole and in one piece each.
func TestSerial(t *testing.T) {
	var out pieces
	w := Serial(&out)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			line := bytes.Repeat([]byte{byte('a' + g)}, 10_000)
			for range 50 {
				if _, err := w.Write(line); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(out.got) != 400 {
		t.Fatalf("%d writes reached the writer, want 400", len(out.got))
	}
	for _, p := range out.got {
		if len(p) != 10_000 || bytes.Count(p, p[:1]) != 10_000 {
			t.Fatal("a write was split or mixed")
		}
	}
}

// pieces records each Write it gets, and fails the race detector if two
// arrive at once.
type pieces struct{ got [][]byte }

func (p *pieces) Write(b []byte) (int, error) {
	p.got = append(p.got, bytes.Clone(b))
	return len(b), nil
}
