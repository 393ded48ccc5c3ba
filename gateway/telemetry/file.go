package telemetry

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Sink receives the gateway's prediction records.
type Sink interface {
	// Write queues r. It never blocks and never fails: a record that
	// cannot be queued is dropped and counted.
	Write(r Record)
	// Close writes what is queued and releases the sink.
	Close() error
}

// Stats counts what a File did with the records it was given.
type Stats struct {
	Written    uint64 // records flushed to the file
	Dropped    uint64 // records refused because the queue was full or the sink closed
	SampledOut uint64 // records left out by sampling
	Errors     uint64 // failed writes, flushes, syncs, renames and opens
	Rotations  uint64 // times Path was renamed to Path.1
}

// Defaults for the zero fields of FileConfig.
const (
	DefaultMaxBytes      = 100 << 20
	DefaultKeep          = 5
	DefaultBuffer        = 4096
	DefaultFlushInterval = time.Second
)

// FileConfig configures OpenFile. Zero fields take the defaults.
type FileConfig struct {
	Path string
	// MaxBytes rotates the file before a line would take it past this size.
	MaxBytes int64
	// Keep is how many rotated files (Path.1 … Path.Keep) are kept.
	Keep int
	// Buffer is how many records may wait in the queue.
	Buffer int
	// FlushInterval bounds how long a written record waits in memory.
	FlushInterval time.Duration
	// Sample is the share of records kept, in (0, 1]; 0 means 1. The
	// decision is a hash of InputDigest and Client (see the package doc).
	Sample float64
	// SampleSalt keys the sampling decision (HMAC-SHA-256), so clients
	// cannot predict which of their queries are recorded. Replicas must
	// share it to make the same decisions; when empty and Sample < 1, a
	// random key is drawn for this File.
	SampleSalt []byte
	// Now stamps records whose Time is zero; time.Now if nil.
	Now func() time.Time
}

func (c FileConfig) withDefaults() (FileConfig, error) {
	switch {
	case c.Path == "":
		return c, errors.New("telemetry: no path")
	case c.MaxBytes < 0, c.Keep < 0, c.Buffer < 0, c.FlushInterval < 0:
		return c, errors.New("telemetry: negative size, count or interval")
	case math.IsNaN(c.Sample) || c.Sample < 0 || c.Sample > 1:
		return c, fmt.Errorf("telemetry: sample %v outside (0, 1]", c.Sample)
	}
	c.MaxBytes = orDefault(c.MaxBytes, DefaultMaxBytes)
	c.Keep = orDefault(c.Keep, DefaultKeep)
	c.Buffer = orDefault(c.Buffer, DefaultBuffer)
	c.FlushInterval = orDefault(c.FlushInterval, DefaultFlushInterval)
	c.Sample = orDefault(c.Sample, 1)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

func orDefault[T int | int64 | float64 | time.Duration](v, d T) T {
	if v == 0 {
		return d
	}
	return v
}

// counters are shared by Write, the writer goroutine and Stats.
type counters struct {
	written, dropped, sampledOut, errors, rotations atomic.Uint64
}

// File is a Sink writing JSON Lines to a local file with rotation.
type File struct {
	now    func() time.Time
	sample sampler
	queue  chan Record
	stats  counters

	// mu orders Write against Close: Close takes it exclusively to set
	// closed, so after that no Write is between its check and its send,
	// and every record in the queue is seen by the final drain.
	mu     sync.RWMutex
	closed bool

	stop     chan struct{}
	done     chan error // the writer's final error, sent once
	once     sync.Once
	closeErr error
}

var _ Sink = (*File)(nil)

// OpenFile opens (creating, 0600, appending) cfg.Path and starts the
// goroutine that writes to it.
func OpenFile(cfg FileConfig) (*File, error) {
	return openFile(cfg, nil)
}

// openFile is OpenFile with a hook the writer goroutine calls before each
// record, which lets tests hold the writer still.
func openFile(cfg FileConfig, hook func()) (*File, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Sample < 1 && len(cfg.SampleSalt) == 0 {
		cfg.SampleSalt = make([]byte, 32)
		if _, err := rand.Read(cfg.SampleSalt); err != nil {
			return nil, fmt.Errorf("telemetry: drawing a sampling key: %w", err)
		}
	}
	f := &File{
		now:    cfg.Now,
		sample: newSampler(cfg.Sample, cfg.SampleSalt),
		queue:  make(chan Record, cfg.Buffer),
		stop:   make(chan struct{}),
		done:   make(chan error, 1),
	}
	w, err := newWriter(cfg, &f.stats, hook)
	if err != nil {
		return nil, err
	}
	go w.run(f.queue, f.stop, f.done, cfg.FlushInterval)
	return f, nil
}

// Write queues r without blocking; see Sink.
func (f *File) Write(r Record) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		f.stats.dropped.Add(1)
		return
	}
	if !f.sample.keep(r.InputDigest, r.Client) {
		f.stats.sampledOut.Add(1)
		return
	}
	if r.Time.IsZero() {
		r.Time = f.now()
	}
	select {
	case f.queue <- r:
	default:
		f.stats.dropped.Add(1)
	}
}

// Close writes the queued records, flushes, syncs and closes the file and
// stops the goroutine. Later calls return the first call's result.
func (f *File) Close() error {
	f.once.Do(func() {
		f.mu.Lock()
		f.closed = true
		f.mu.Unlock()
		close(f.stop)
		f.closeErr = <-f.done
	})
	return f.closeErr
}

// Stats returns the counters so far.
func (f *File) Stats() Stats {
	return Stats{
		Written:    f.stats.written.Load(),
		Dropped:    f.stats.dropped.Load(),
		SampledOut: f.stats.sampledOut.Load(),
		Errors:     f.stats.errors.Load(),
		Rotations:  f.stats.rotations.Load(),
	}
}
