package compress

import (
	"errors"
	"fmt"
	"io"
	"math"
)

var errClosed = errors.New("compress: read after Close")

// limitedReader enforces Limits on a decoder's output and words its errors.
type limitedReader struct {
	m    Method
	dec  io.Reader
	src  *countingReader
	size int64 // compressed size given by the caller, <= 0 when unknown
	lim  Limits
	out  int64
	err  error // sticky: a failed decoder is not asked again
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	// Ask for at most one byte past the limit: enough to know it was
	// passed, and the decoder never produces much more than allowed.
	if room := l.lim.MaxBytes - l.out + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.dec.Read(p)
	l.out += int64(n)
	if l.out > l.lim.MaxBytes {
		n -= int(l.out - l.lim.MaxBytes)
		l.out = l.lim.MaxBytes
		l.err = fmt.Errorf("compress: %s output is larger than the %s limit: %w", l.m, byteCount(l.lim.MaxBytes), ErrLimit)
		return n, l.err
	}
	if l.out >= ratioFloor && l.ratioExceeded() {
		l.err = fmt.Errorf("compress: %s data expands more than %d times (%d bytes from %d): %w",
			l.m, l.lim.MaxRatio, l.out, l.compressed(), ErrRatio)
		return n, l.err
	}
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		l.err = io.EOF
	default:
		l.err = describe(l.m, err)
	}
	return n, l.err
}

// compressed is the input the ratio is measured against: the bytes
// actually consumed so far, never a size declared by a container, which
// may lie (a zip member that claims gigabytes of input to let a bomb
// expand unchecked).
func (l *limitedReader) compressed() int64 {
	return max(l.src.n, 1)
}

func (l *limitedReader) ratioExceeded() bool {
	c := l.compressed()
	if c > math.MaxInt64/l.lim.MaxRatio {
		return false
	}
	return l.out > c*l.lim.MaxRatio
}

// Close releases the decoder; later reads fail. Errors the decoder
// reports at Close were already returned by Read, so Close returns nil.
func (l *limitedReader) Close() error {
	l.err = errClosed
	if c, ok := l.dec.(io.Closer); ok {
		_ = c.Close()
	}
	return nil
}

func byteCount(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d-byte", n)
}

// Counts reports the compressed bytes consumed so far (including what the
// decoder has buffered ahead) and the bytes produced. Their ratio part way
// through a stream tells a bomb from data without reading it to its end.
func (l *limitedReader) Counts() (in, out int64) { return l.src.n, l.out }
