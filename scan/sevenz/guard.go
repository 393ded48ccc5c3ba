package sevenz

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bodgit/sevenzip"
)

// errPanic marks an error made from a panic in the wrapped library.
var errPanic = errors.New("the 7z library failed on malformed input")

// guard runs f, turning a panic into an error: the wrapped library indexes
// slices with values from the file.
func guard(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errPanic, p)
		}
	}()
	return f()
}

// translate words a library error for the user and maps it onto this
// package's sentinels.
func translate(doing string, err error) error {
	switch {
	case encryptedHint(err):
		return fmt.Errorf("7z: %s: %w (%v)", doing, ErrEncrypted, err)
	case strings.Contains(err.Error(), "unsupported compression algorithm"):
		return fmt.Errorf("7z: %s: %w (%v)", doing, ErrUnsupportedMethod, err)
	}
	return fmt.Errorf("7z: %s: %w: %w", doing, ErrFormat, err)
}

// encryptedHint reports whether the library says encryption was involved;
// it returns its ReadError both by value and by pointer.
func encryptedHint(err error) bool {
	var byPtr *sevenzip.ReadError
	if errors.As(err, &byPtr) {
		return byPtr.Encrypted
	}
	var byVal sevenzip.ReadError
	return errors.As(err, &byVal) && byVal.Encrypted
}

// reader bounds a member's data and keeps the library's panics in.
type reader struct {
	rc   io.ReadCloser
	name string
	n    int64
	max  int64
	// idle counts reads that returned nothing and no error, so that a
	// decoder stuck that way cannot hang the caller.
	idle int
	err  error
}

const maxIdleReads = 100

func (r *reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	room := r.max - r.n
	if room == 0 {
		r.err = r.probeEnd()
		return 0, r.err
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := r.read(p)
	r.n += int64(n)
	r.err = err
	return n, err
}

// read calls the library under guard and words its errors.
func (r *reader) read(p []byte) (n int, err error) {
	gerr := guard(func() error {
		n, err = r.rc.Read(p)
		return nil
	})
	switch {
	case gerr != nil:
		return 0, translate("reading "+r.name, gerr)
	case err == io.EOF:
		return n, io.EOF
	case err != nil:
		return n, translate("reading "+r.name, err)
	case n == 0:
		if r.idle++; r.idle > maxIdleReads {
			return 0, fmt.Errorf("7z: reading %s: the decoder makes no progress: %w", r.name, ErrFormat)
		}
	default:
		r.idle = 0
	}
	return n, nil
}

// probeEnd runs at the bound: one more byte means the member is too big.
func (r *reader) probeEnd() error {
	var one [1]byte
	for {
		n, err := r.read(one[:])
		if n > 0 {
			return fmt.Errorf("7z: %s decompresses to more than %d bytes: %w", r.name, r.max, ErrLimit)
		}
		if err != nil {
			return err
		}
	}
}

func (r *reader) Close() error {
	if r.err == nil {
		r.err = errors.New("7z: read after Close")
	}
	return guard(r.rc.Close)
}
