package telemetry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"time"
)

// writer owns the file. Only the goroutine running run touches it, so it
// needs no lock.
type writer struct {
	path     string
	maxBytes int64
	keep     int
	stats    *counters
	hook     func()

	f       *os.File // nil after a failure, until reopened
	bw      *bufio.Writer
	size    int64  // bytes in the file, counting those still in bw
	pending uint64 // records in bw not yet flushed
	lastErr error  // why f is nil, for Close
	line    bytes.Buffer
	enc     *json.Encoder
}

func newWriter(cfg FileConfig, stats *counters, hook func()) (*writer, error) {
	w := &writer{path: cfg.Path, maxBytes: cfg.MaxBytes, keep: cfg.Keep, stats: stats, hook: hook}
	w.enc = json.NewEncoder(&w.line)
	w.enc.SetEscapeHTML(false)
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

// run writes records until stop is closed, then drains the queue, closes
// the file and sends the result on done.
func (w *writer) run(queue <-chan Record, stop <-chan struct{}, done chan<- error, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case r := <-queue:
			w.record(r)
		case <-t.C:
			w.flush()
		case <-stop:
			for {
				select {
				case r := <-queue:
					w.record(r)
				default:
					done <- w.closeFile()
					return
				}
			}
		}
	}
}

func (w *writer) record(r Record) {
	if w.hook != nil {
		w.hook()
	}
	line, err := w.encode(r)
	if err != nil {
		w.stats.errors.Add(1)
		return
	}
	if w.f != nil && w.size > 0 && w.size+int64(len(line)) > w.maxBytes {
		w.rotate()
	}
	if w.f == nil {
		if err := w.open(); err != nil {
			w.stats.errors.Add(1)
			w.lastErr = err
			return
		}
	}
	n, err := w.bw.Write(line)
	w.size += int64(n)
	if err != nil {
		w.fail(err)
		return
	}
	w.pending++
}

// maxField caps each string of a record, so that even when every byte needs
// a six-byte escape the line stays under MaxLineBytes and Read accepts it.
const maxField = 1 << 10

func (w *writer) encode(r Record) ([]byte, error) {
	for _, s := range []*string{&r.RequestID, &r.Client, &r.Model, &r.Version, &r.InputDigest, &r.Detector} {
		*s = truncate(*s, maxField)
	}
	// JSON has no NaN or infinity; a record is worth more than its score.
	if !finite(float64(r.Confidence)) {
		r.Confidence = 0
	}
	if !finite(r.Score) {
		r.Score = 0
	}
	w.line.Reset()
	if err := w.enc.Encode(r); err != nil {
		return nil, err
	}
	if w.line.Len() > MaxLineBytes+1 {
		return nil, errors.New("telemetry: record too long")
	}
	return w.line.Bytes(), nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// flush hands the buffered lines to the OS; they count as written then.
func (w *writer) flush() {
	// pending is checked too: bufio may have flushed a full buffer itself.
	if w.bw == nil || (w.bw.Buffered() == 0 && w.pending == 0) {
		return
	}
	if err := w.bw.Flush(); err != nil {
		w.fail(err)
		return
	}
	w.stats.written.Add(w.pending)
	w.pending = 0
}

// fail gives up on the open file after an I/O error: what was buffered is
// lost, and the next record reopens the file (repairing a torn last line).
func (w *writer) fail(err error) {
	w.stats.errors.Add(1)
	w.lastErr = err
	w.pending = 0
	if w.f != nil {
		_ = w.f.Close() // already failing; the first error was counted
	}
	w.f, w.bw = nil, nil
}
