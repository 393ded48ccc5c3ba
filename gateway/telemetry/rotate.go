package telemetry

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
)

// open opens the file for appending, creating it 0600, and cuts off a last
// line left incomplete by a crash or a failed write, so that every line in
// the file is a whole record.
func (w *writer) open() error {
	f, err := os.OpenFile(w.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	size, err := repairTail(f)
	if err != nil {
		_ = f.Close() // the repair error is the one to report
		return fmt.Errorf("telemetry: %s: %w", w.path, err)
	}
	w.f, w.size, w.lastErr = f, size, nil
	w.bw = bufio.NewWriterSize(f, 64<<10)
	return nil
}

// repairTail truncates f after its last newline and returns its new size.
// A whole line is at most MaxLineBytes+1 bytes, so the last newline, if the
// file is ours, is within that distance of the end.
func repairTail(f *os.File) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := fi.Size()
	if size == 0 {
		return 0, nil
	}
	n := min(size, MaxLineBytes+1)
	tail := make([]byte, n)
	if _, err := f.ReadAt(tail, size-n); err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(tail, '\n')
	switch {
	case i == len(tail)-1:
		return size, nil
	case i < 0 && n < size:
		return 0, errors.New("does not end in JSON Lines")
	}
	keep := size - n + int64(i) + 1
	return keep, f.Truncate(keep)
}

// closeFile flushes, syncs and closes the file, counting each failure.
// With no file open (a failure it could not recover from), it returns the
// failure's error.
func (w *writer) closeFile() error {
	if w.f != nil {
		w.flush()
	}
	if w.f == nil {
		return w.lastErr
	}
	err := errors.Join(w.f.Sync(), w.f.Close())
	w.f, w.bw = nil, nil
	if err != nil {
		w.stats.errors.Add(1)
	}
	return err
}

// rotate closes the file, shifts Path.i to Path.i+1 (the last one is
// replaced, so Keep old files remain) and renames Path to Path.1; the next
// record opens a new Path. Failures are counted.
func (w *writer) rotate() {
	_ = w.closeFile() // counted in closeFile
	for i := w.keep - 1; i >= 1; i-- {
		w.rename(w.path+"."+strconv.Itoa(i), w.path+"."+strconv.Itoa(i+1))
	}
	if w.rename(w.path, w.path+".1") {
		w.stats.rotations.Add(1)
	}
}

func (w *writer) rename(from, to string) bool {
	err := os.Rename(from, to)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.stats.errors.Add(1)
	}
	return err == nil
}
