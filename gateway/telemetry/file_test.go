package telemetry

import (
	"math"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	path := tempPath(t)
	f := mustOpen(t, FileConfig{Path: path})
	var want []Record
	for i := range 100 {
		r := rec(i)
		if i%3 == 0 {
			r.Degraded, r.Detector, r.Score, r.Status = true, "prada", 0.93, 403
		}
		want = append(want, r)
		f.Write(r)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, path)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back %d records, differing from the %d written", len(got), len(want))
	}
	if s := f.Stats(); s != (Stats{Written: 100}) {
		t.Fatalf("stats %+v", s)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestAppendsToExistingFile(t *testing.T) {
	path := tempPath(t)
	for round := range 2 {
		f := mustOpen(t, FileConfig{Path: path})
		f.Write(rec(round))
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got := readAll(t, path); len(got) != 2 || got[0].Row != 0 || got[1].Row != 1 {
		t.Fatalf("got %+v", got)
	}
}

func TestOpenRepairsTornLastLine(t *testing.T) {
	path := tempPath(t)
	f := mustOpen(t, FileConfig{Path: path})
	f.Write(rec(0))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of a write leaves half a line.
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.WriteString(`{"time":"2026-11-26T12:00:00Z","cli`); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	f = mustOpen(t, FileConfig{Path: path})
	f.Write(rec(1))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, path); len(got) != 2 || got[1].Row != 1 {
		t.Fatalf("got %+v", got)
	}
}

func TestOpenRefusesForeignFile(t *testing.T) {
	path := tempPath(t)
	if err := os.WriteFile(path, []byte(strings.Repeat("x", MaxLineBytes+10)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(FileConfig{Path: path}); err == nil {
		t.Fatal("opened a file that ends in an over-long line")
	}
}

func TestConfigErrors(t *testing.T) {
	p := tempPath(t)
	for _, cfg := range []FileConfig{
		{},
		{Path: p, MaxBytes: -1},
		{Path: p, Keep: -1},
		{Path: p, Buffer: -1},
		{Path: p, FlushInterval: -time.Second},
		{Path: p, Sample: -0.1},
		{Path: p, Sample: 1.5},
		{Path: p, Sample: math.NaN()},
		{Path: t.TempDir() + "/missing/dir/x.jsonl"},
	} {
		if f, err := OpenFile(cfg); err == nil {
			f.Close()
			t.Errorf("%+v: no error", cfg)
		}
	}
}

func TestStampsZeroTime(t *testing.T) {
	path := tempPath(t)
	f := mustOpen(t, FileConfig{Path: path, Now: func() time.Time { return epoch }})
	r := rec(0)
	r.Time = time.Time{}
	f.Write(r)
	f.Close()
	if got := readAll(t, path); !got[0].Time.Equal(epoch) {
		t.Fatalf("time %v, want %v", got[0].Time, epoch)
	}
}

func TestHostileFieldsStillReadable(t *testing.T) {
	path := tempPath(t)
	f := mustOpen(t, FileConfig{Path: path})
	r := rec(0)
	r.Client = strings.Repeat("\x01", 100000) // six bytes each once escaped
	r.Model = strings.Repeat("é", 5000)
	r.Detector = string([]byte{0xff, 0xfe})
	r.Confidence = float32(math.NaN())
	r.Score = math.Inf(1)
	f.Write(r)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, path)
	if len(got) != 1 || len(got[0].Client) != maxField || got[0].Confidence != 0 || got[0].Score != 0 {
		t.Fatalf("client %d bytes, confidence %v, score %v", len(got[0].Client), got[0].Confidence, got[0].Score)
	}
	if !strings.HasPrefix(got[0].Model, "éé") || len(got[0].Model) > maxField || len(got[0].Model)%2 != 0 {
		t.Fatalf("model cut inside a character: %d bytes", len(got[0].Model))
	}
	if f.Stats().Errors != 0 {
		t.Fatalf("stats %+v", f.Stats())
	}
}

func TestConcurrentWriters(t *testing.T) {
	path := tempPath(t)
	const writers, each = 8, 500
	f := mustOpen(t, FileConfig{Path: path, Buffer: writers * each, MaxBytes: 64 << 10, Keep: 100})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				f.Write(rec(w*each + i))
				_ = f.Stats()
			}
		})
	}
	wg.Wait()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	seen := make(map[int]bool)
	for _, p := range allFiles(t, path) {
		for _, r := range readAll(t, p) {
			if seen[r.Row] {
				t.Fatalf("row %d twice", r.Row)
			}
			seen[r.Row] = true
		}
	}
	s := f.Stats()
	if len(seen) != writers*each || s.Written != writers*each || s.Dropped != 0 {
		t.Fatalf("read %d, stats %+v", len(seen), s)
	}
}

func TestQueueFullDrops(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hook := func() { once.Do(func() { entered <- struct{}{}; <-release }) }
	path := tempPath(t)
	f, err := openFile(FileConfig{Path: path, Buffer: 4}, hook)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(rec(0))
	<-entered // the writer holds record 0 and waits: the queue is empty
	for i := 1; i <= 4+3; i++ {
		f.Write(rec(i)) // 4 fit, 3 are dropped
	}
	if s := f.Stats(); s.Dropped != 3 {
		t.Fatalf("stats %+v, want 3 dropped", s)
	}
	close(release)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if s := f.Stats(); s.Written != 5 || s.Dropped != 3 {
		t.Fatalf("stats %+v", s)
	}
	if got := readAll(t, path); len(got) != 5 || got[4].Row != 4 {
		t.Fatalf("read %d records", len(got))
	}
}

func TestWriteAfterClose(t *testing.T) {
	f := mustOpen(t, FileConfig{Path: tempPath(t)})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f.Write(rec(0))
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if s := f.Stats(); s.Dropped != 1 || s.Written != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// Sampling is deterministic under one key (replicas sharing it agree),
// and without a configured key each File draws its own, so a client
// cannot compute which of its queries go unrecorded.
func TestFileSampling(t *testing.T) {
	run := func(salt []byte) ([]int, Stats) {
		path := tempPath(t)
		f := mustOpen(t, FileConfig{Path: path, Sample: 0.25, Buffer: 10000, SampleSalt: salt})
		for i := range 10000 {
			f.Write(rec(i))
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		var rows []int
		for _, r := range readAll(t, path) {
			rows = append(rows, r.Row)
		}
		return rows, f.Stats()
	}
	key := []byte("a shared secret sampling key")
	a, sa := run(key)
	b, _ := run(key)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs under one key kept different records")
	}
	if len(a) < 2300 || len(a) > 2700 || sa.SampledOut+sa.Written != 10000 {
		t.Fatalf("kept %d of 10000, stats %+v", len(a), sa)
	}
	c, _ := run(nil)
	d, _ := run(nil)
	if reflect.DeepEqual(c, d) || reflect.DeepEqual(a, c) {
		t.Fatal("without a key the decisions are predictable")
	}
}
