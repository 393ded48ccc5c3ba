// Package logbuf buffers a log stream in memory and writes it out in
// batches: every Interval, whenever Size bytes are waiting, and on Close.
//
// A server that writes one log line per request with one write system
// call each pays for that call on every request (on loopback benchmarks of
// the gateway, a tenth of its CPU). Batching trades that for a bounded
// window of lines that a crash can lose: at most Interval's worth, as
// nginx's "access_log ... buffer= flush=" does. Each Write is kept whole,
// so lines from concurrent writers never interleave.
package logbuf

import (
	"io"
	"sync"
	"time"
)

// Defaults.
const (
	DefaultInterval = 200 * time.Millisecond
	DefaultSize     = 64 << 10
)

// Writer is a batching io.WriteCloser. Safe for concurrent use.
type Writer struct {
	mu   sync.Mutex
	out  io.Writer
	buf  []byte
	size int
	err  error // the first write error, returned from then on

	stop chan struct{}
	done chan struct{}
}

// New starts a Writer over out; zero interval and size take the defaults.
func New(out io.Writer, interval time.Duration, size int) *Writer {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if size <= 0 {
		size = DefaultSize
	}
	w := &Writer{out: out, buf: make([]byte, 0, size), size: size, stop: make(chan struct{}), done: make(chan struct{})}
	go w.tick(interval)
	return w
}

func (w *Writer) tick(every time.Duration) {
	defer close(w.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			_ = w.Flush()
		}
	}
}

// Write queues p, writing the batch out first when p would overflow it.
// A p larger than the buffer is written straight through.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	if len(w.buf)+len(p) > w.size {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
	}
	if len(p) > w.size {
		if _, err := w.out.Write(p); err != nil {
			w.err = err
			return 0, err
		}
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Flush writes out what is waiting.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if w.err != nil || len(w.buf) == 0 {
		return w.err
	}
	_, err := w.out.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = err
	}
	return err
}

// Close stops the ticker and flushes. Writes after Close go straight out.
func (w *Writer) Close() error {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.flushLocked()
	w.size = 0 // from now on every Write is larger than the buffer
	return err
}

// Serial returns a writer that passes each Write to w whole, one at a
// time: for writers (a terminal, a pipe) whose concurrent writes of long
// lines could interleave, shared by several loggers.
func Serial(w io.Writer) io.Writer { return &serial{w: w} }

type serial struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *serial) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
