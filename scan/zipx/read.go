package zipx

import (
	"bufio"
	"compress/bzip2"
	"compress/flate"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"

	"github.com/klauspost/compress/zstd"
)

// ratioFloor is the output below which MaxRatio does not apply: tiny members
// with a high ratio (a few zeros) are common and cost nothing.
const ratioFloor = 1 << 20

// maxZstdWindow caps the memory a zstd frame may ask for; writers use far
// less for members of model files.
const maxZstdWindow = 128 << 20

// Open returns a reader of the member's decompressed data. It reads only
// that member. The reader fails with an error wrapping ErrLimit past the
// Limits; a CRC or size mismatch found at the end is recorded as an anomaly,
// not returned, because PyTorch ignores both.
//
// A member flagged as encrypted is first read as plain data: if that yields
// valid data (clean decompression, matching CRC), the anomaly
// "encrypted-flag-but-plain" is recorded and the data is returned, since
// PyTorch loads such members; otherwise Open returns ErrEncrypted and the
// member cannot be inspected. This costs a second pass over such members.
func (a *Archive) Open(e *Entry) (io.ReadCloser, error) {
	if e == nil {
		return nil, errors.New("zip: Open called with a nil entry")
	}
	if e.Method == methodAES {
		return nil, fmt.Errorf("zip: %s is encrypted with AES (method 99): %w", quote(e.Name), ErrEncrypted)
	}
	if e.Flags&flagsEncrypted != 0 {
		if err := a.tryPlain(e); err != nil {
			return nil, err
		}
		a.note(KindEncryptedButPlain, e.Name, "flagged as encrypted (flags 0x%04x) but its data is plain, and PyTorch loads it", e.Flags)
	}
	return a.open(e, false)
}

// tryPlain reads a member flagged as encrypted as if it were plain, and
// returns nil only if that yields valid data.
func (a *Archive) tryPlain(e *Entry) error {
	r, err := a.open(e, true)
	if errors.Is(err, ErrUnsupportedMethod) {
		return fmt.Errorf("zip: %s is flagged as encrypted and uses method %d: %w", quote(e.Name), e.Method, ErrEncrypted)
	}
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	if errors.Is(err, ErrLimit) {
		return err
	}
	if err != nil || r.crc.Sum32() != e.CRC32 {
		return fmt.Errorf("zip: %s is encrypted (flags 0x%04x) and does not read as plain data: %w", quote(e.Name), e.Flags, ErrEncrypted)
	}
	return nil
}

// open builds the decompressing reader. A quiet reader records no
// anomalies: it serves tryPlain.
func (a *Archive) open(e *Entry, quiet bool) (*reader, error) {
	if e.DataOffset < 0 || e.DataOffset > a.size {
		return nil, fmt.Errorf("zip: %s: data offset %d lies outside the %d-byte file", quote(e.Name), e.DataOffset, a.size)
	}
	avail := int64(min(e.CompressedSize, uint64(a.size-e.DataOffset)))
	src := io.NewSectionReader(a.r, e.DataOffset, avail)
	r := &reader{
		a: a, e: e, quiet: quiet,
		crc:   crc32.NewIEEE(),
		max:   a.bound(e, avail),
		short: uint64(avail) < e.CompressedSize,
	}
	switch e.Method {
	case methodStored:
		r.dec = src
	case methodDeflate:
		fr := flate.NewReader(bufio.NewReaderSize(src, 64<<10))
		r.dec, r.close = fr, fr.Close
	case methodZstd:
		zr, err := zstd.NewReader(bufio.NewReaderSize(src, 64<<10),
			zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(min(uint64(max(r.max, zstd.MinWindowSize)), maxZstdWindow)))
		if err != nil {
			return nil, fmt.Errorf("zip: %s: starting the zstd decoder: %w", quote(e.Name), err)
		}
		r.dec, r.close = zr, func() error { zr.Close(); return nil }
	case methodBzip2:
		// The memory is fixed by the format: at most 900 kB blocks.
		r.dec = bzip2.NewReader(bufio.NewReaderSize(src, 64<<10))
	case methodLZMA:
		r.dec = &lzmaMember{br: bufio.NewReaderSize(src, 64<<10), flags: e.Flags, size: e.UncompressedSize, max: r.max}
	default:
		return nil, fmt.Errorf("zip: %s uses compression method %d: %w", quote(e.Name), e.Method, ErrUnsupportedMethod)
	}
	return r, nil
}

// bound is the most bytes a member may produce: MaxEntryBytes, and for
// compressed members MaxRatio times the compressed bytes present, but never
// less than ratioFloor.
func (a *Archive) bound(e *Entry, avail int64) int64 {
	if e.Method == methodStored {
		return min(a.lim.MaxEntryBytes, avail)
	}
	ratio := int64(math.MaxInt64)
	if avail < math.MaxInt64/a.lim.MaxRatio {
		ratio = max(avail*a.lim.MaxRatio, ratioFloor)
	}
	return min(a.lim.MaxEntryBytes, ratio)
}

// reader decompresses one member within its bound and checks it at the end.
type reader struct {
	a     *Archive
	e     *Entry
	dec   io.Reader
	close func() error
	crc   hash.Hash32
	n     int64 // bytes produced so far
	max   int64 // bytes allowed
	short bool  // the file ends before the member's data does
	quiet bool
	err   error // sticky: once failed or finished, always the same
}

func (r *reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if room := r.max - r.n; int64(len(p)) > room {
		if room == 0 {
			r.err = r.probeEnd()
			return 0, r.err
		}
		p = p[:room]
	}
	n, err := r.dec.Read(p)
	r.n += int64(n)
	r.crc.Write(p[:n])
	switch {
	case err == io.EOF:
		r.err = r.finish()
	case err != nil:
		r.err = r.wrap(err)
	}
	return n, r.err
}

// probeEnd runs once the bound is reached: one more byte means the member is
// too big; none means it ended exactly at the bound.
func (r *reader) probeEnd() error {
	var one [1]byte
	for {
		n, err := r.dec.Read(one[:])
		if n > 0 {
			return r.limitError()
		}
		if err == io.EOF {
			return r.finish()
		}
		if err != nil {
			return r.wrap(err)
		}
	}
}

func (r *reader) limitError() error {
	if r.max == r.a.lim.MaxEntryBytes {
		return fmt.Errorf("zip: %s decompresses to more than %d bytes: %w", quote(r.e.Name), r.max, ErrLimit)
	}
	return fmt.Errorf("zip: %s decompresses to more than %d bytes from %d compressed bytes (ratio limit %d): %w",
		quote(r.e.Name), r.max, r.e.CompressedSize, r.a.lim.MaxRatio, ErrRatio)
}

// finish checks a member read to its end.
func (r *reader) finish() error {
	if r.short {
		return fmt.Errorf("zip: %s: the file ends before the member's %d bytes of data: %w", quote(r.e.Name), r.e.CompressedSize, io.ErrUnexpectedEOF)
	}
	if r.quiet {
		return io.EOF
	}
	if got := r.crc.Sum32(); got != r.e.CRC32 {
		r.a.note(KindBadCRC, r.e.Name, "the data has CRC-32 %08x but the headers declare %08x", got, r.e.CRC32)
	}
	if uint64(r.n) != r.e.UncompressedSize {
		r.a.note(KindSizeMismatch, r.e.Name, "the data is %d bytes long but the headers declare %d", r.n, r.e.UncompressedSize)
	}
	return io.EOF
}

func (r *reader) wrap(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.As(err, &corrupt):
		return fmt.Errorf("zip: %s: corrupt deflate data %d bytes into the member: %w", quote(r.e.Name), int64(corrupt), err)
	case err == io.ErrUnexpectedEOF:
		return fmt.Errorf("zip: %s: the compressed data ends early: %w", quote(r.e.Name), err)
	}
	return fmt.Errorf("zip: reading %s: %w", quote(r.e.Name), err)
}

// Close releases the decompressor.
func (r *reader) Close() error {
	if r.err == nil {
		r.err = errors.New("zip: read after Close")
	}
	if r.close != nil {
		c := r.close
		r.close = nil
		return c()
	}
	return nil
}
