// Package compress recognises whole-file compression around model files
// (joblib writes zlib, gzip, bz2, xz, lzma and lz4, and before 0.10 its own
// "ZF" format) and decompresses it with bounds on output size and ratio,
// so that a decompression bomb costs a scan little time and memory.
//
// Readers follow what a Python loader would read: concatenated gzip,
// bz2, xz, lzma and lz4 streams are all decoded, because Python's
// file objects for those formats continue into the next stream, and a
// payload could hide there.
package compress

import (
	"bufio"
	"compress/bzip2"
	"compress/zlib"
	"errors"
	"fmt"
	"io"

	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// Method names a whole-file compression format.
type Method string

// The methods Detect recognises. The strings match joblib's names, with
// "zf-zlib" for the pre-0.10 joblib format.
const (
	Zlib   Method = "zlib"
	Gzip   Method = "gzip"
	Bz2    Method = "bz2"
	XZ     Method = "xz"
	LZMA   Method = "lzma" // the legacy "LZMA alone" (.lzma) format
	ZFZlib Method = "zf-zlib"
	LZ4    Method = "lz4" // the LZ4 frame format
	Zstd   Method = "zstd"
)

var (
	// ErrLimit is returned (wrapped) when the output passes Limits.
	ErrLimit = errors.New("decompression limit exceeded")
	// ErrRatio is returned (wrapped) when the output passes MaxRatio times
	// the input, the mark of a compression bomb. It wraps ErrLimit.
	ErrRatio error = ratioError{}
	// ErrUnsupported is returned (wrapped) for a method NewReader cannot read.
	ErrUnsupported = errors.New("compression method not supported")
)

// Limits bound decompression; zero fields take the defaults.
type Limits struct {
	// MaxBytes caps the decompressed size (default 1 GiB).
	MaxBytes int64
	// MaxRatio caps decompressed size / compressed size (default 2000,
	// above deflate's ceiling of about 1032, so that only the formats that
	// can go further, such as bz2 and xz on degenerate data, trip it by
	// default). It is checked once the output passes 1 MiB, so small
	// inputs that compress well do not trip it.
	MaxRatio int64
}

// Defaults for zero Limits fields, and the output size before which the
// ratio is not checked.
const (
	DefaultMaxBytes = 1 << 30
	DefaultMaxRatio = 2000
	ratioFloor      = 1 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	return l
}

// NewReader returns the decompressed content of r, compressed with m.
// compressedSize is the size of the compressed input, for the ratio check;
// pass 0 or less when unknown, and the bytes read so far are used instead.
// Reads fail with an error wrapping ErrLimit once the output passes lim;
// a stream that ends early fails with one wrapping io.ErrUnexpectedEOF.
// Close releases the decoder; it does not close r.
func NewReader(m Method, r io.Reader, compressedSize int64, lim Limits) (io.ReadCloser, error) {
	lim = lim.withDefaults()
	src := &countingReader{r: r}
	// Decoders that take an io.ByteReader read no further than they need
	// from a bufio.Reader, which the multi-stream readers rely on.
	br := bufio.NewReader(src)
	dec, err := open(m, br, lim)
	if err != nil {
		if errors.Is(err, ErrLimit) || errors.Is(err, ErrUnsupported) {
			return nil, err
		}
		return nil, describe(m, err)
	}
	return &limitedReader{m: m, dec: dec, src: src, size: compressedSize, lim: lim}, nil
}

// open starts the decoder for m over br.
func open(m Method, br *bufio.Reader, lim Limits) (io.Reader, error) {
	switch m {
	case Zlib:
		// One stream only: joblib's zlib reader stops at its end.
		return zlib.NewReader(br)
	case Gzip:
		return newGzipReader(br) // multistream, any header length
	case Bz2:
		return bzip2.NewReader(br), nil // decodes concatenated streams
	case XZ:
		cfg := xz.ReaderConfig{DictCap: lzma.MinDictCap}
		return cfg.NewReader(newXZGuard(br, newDictBudget(lim)))
	case LZMA:
		budget := newDictBudget(lim)
		return newStreams(func(first bool) (io.Reader, error) {
			return openLZMA(br, budget, first)
		})
	case LZ4:
		return newStreams(func(first bool) (io.Reader, error) {
			return openLZ4(br, first)
		})
	case ZFZlib:
		return openZF(br, lim)
	case Zstd:
		return openZstd(br, lim)
	}
	return nil, fmt.Errorf("compress: %q: %w", m, ErrUnsupported)
}

// dictBudget bounds LZMA dictionary memory over one file. Go's decoders
// allocate a fresh dictionary for every xz block and .lzma stream (liblzma
// reuses one), and allocating and clearing one costs time in proportion
// to its size: without a cap, a 15 KB file of tiny blocks that each ask
// for 4 GiB kept a decoder busy for half a minute. So each dictionary is
// capped, and so is their sum.
type dictBudget struct {
	// maxDict is the largest dictionary allocated: 64 MiB (the largest
	// any xz or Python preset uses), and never more than MaxBytes plus a
	// margin, since a dictionary larger than the output we accept is
	// never filled. The margin lets the decoder fill its buffer past
	// MaxBytes before it needs a distance beyond the dictionary, so an
	// over-large file stops at ErrLimit rather than as corrupt. A file
	// that really reaches back more than 64 MiB fails as corrupt.
	maxDict int64
	// left is what may still be allocated: four times MaxBytes plus 256
	// MiB, at most 512 MiB. Files whose blocks state their sizes (a block
	// then gets no more than its size), are a quarter of their dictionary
	// size or more, or are few, stay well within it.
	left int64
}

const (
	maxDictSize    = 64 << 20
	maxDictBudget  = 512 << 20
	dictMargin     = 1 << 16
	dictBudgetBase = 256 << 20
)

func newDictBudget(lim Limits) *dictBudget {
	b := &dictBudget{maxDict: maxDictSize, left: maxDictBudget}
	if lim.MaxBytes < maxDictSize {
		b.maxDict = lim.MaxBytes + dictMargin
	}
	if lim.MaxBytes < (maxDictBudget-dictBudgetBase)/4 {
		b.left = 4*lim.MaxBytes + dictBudgetBase
	}
	return b
}

// charge records an allocation of n bytes (at least the decoders' 4 KiB
// minimum), failing with ErrLimit past the budget.
func (b *dictBudget) charge(n int64) error {
	n = max(n, lzma.MinDictCap)
	if n > b.left {
		return fmt.Errorf("compress: the LZMA dictionaries this file asks for pass the memory budget for its output limit: %w", ErrLimit)
	}
	b.left -= n
	return nil
}

// describe words a decoder error for the user, marking truncation.
func describe(m Method, err error) error {
	switch {
	case errors.Is(err, ErrLimit):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("compress: %s data is truncated: %w", m, err)
	case errors.Is(err, io.EOF):
		// A decoder that hit the end of input before its stream ended.
		return fmt.Errorf("compress: %s data is truncated: %w", m, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("compress: %s data is corrupt: %w", m, err)
}

// countingReader counts the compressed bytes read.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ratioError is ErrRatio: its own message, and errors.Is(err, ErrLimit)
// still holds for callers that only care that a limit was reached.
type ratioError struct{}

func (ratioError) Error() string { return "compression ratio limit exceeded" }
func (ratioError) Unwrap() error { return ErrLimit }
