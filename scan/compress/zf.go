package compress

import (
	"bufio"
	"compress/zlib"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The pre-0.10 joblib "Z-file" (joblib/numpy_pickle_compat.py, write_zfile
// and read_zfile): "ZF", then the uncompressed length as Python's
// '{:#x}'.format(n) left-justified in a 19-byte field (the width of
// 0x10000000000000000), then one zlib stream. Files from joblib <= 0.8.4
// under Python 2 have a 20-byte field, so read_zfile skips one more space
// if present; a zlib stream never starts with a space.
const (
	zfPrefix   = "ZF"
	zfFieldLen = 19
	zfHeadLen  = len(zfPrefix) + zfFieldLen
)

// parseZFLength reads the length field: optional "0x", 1 to 16 hex digits,
// then spaces. Python's int(field, 16) accepts more, but nothing else was
// ever written.
func parseZFLength(field []byte) (int64, bool) {
	// joblib reads the field with int(field, 16): surrounding whitespace,
	// a sign, a 0x prefix and single underscores between digits are all
	// accepted, so the scanner accepts them too.
	t := strings.TrimSpace(string(field))
	t = strings.TrimPrefix(t, "+")
	if len(t) > 1 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		t = strings.TrimPrefix(t[2:], "_")
	}
	if t == "" || strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return 0, false
	}
	digits := strings.ReplaceAll(t, "_", "")
	if len(digits) > 16 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if !isHex(digits[i]) {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(digits, 16, 64)
	if err != nil || n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// openZF reads the Z-file header and returns a reader that checks the
// output has exactly the declared length, as read_zfile asserts.
func openZF(br *bufio.Reader, lim Limits) (io.Reader, error) {
	head := make([]byte, zfHeadLen)
	if _, err := io.ReadFull(br, head); err != nil {
		return nil, err
	}
	if string(head[:2]) != zfPrefix {
		return nil, fmt.Errorf("zf: header does not start with %q", zfPrefix)
	}
	n, ok := parseZFLength(head[2:])
	if !ok {
		return nil, fmt.Errorf("zf: length field %q is not a hexadecimal number", head[2:])
	}
	if n > lim.MaxBytes {
		return nil, fmt.Errorf("compress: zf-zlib header declares %d bytes, more than the %s limit: %w",
			n, byteCount(lim.MaxBytes), ErrLimit)
	}
	if next, _ := br.Peek(1); len(next) == 1 && next[0] == ' ' {
		_, _ = br.Discard(1)
	}
	z, err := zlib.NewReader(br)
	if err != nil {
		return nil, err
	}
	return &exactReader{r: z, want: n}, nil
}

// exactReader fails when its input is longer or shorter than want.
type exactReader struct {
	r    io.ReadCloser
	want int64
	got  int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.got += int64(n)
	switch {
	case e.got > e.want:
		return n, fmt.Errorf("zf: data is longer than the %d bytes the header declares", e.want)
	case err == io.EOF && e.got < e.want:
		return n, fmt.Errorf("zf: data ends after %d of the %d bytes the header declares: %w",
			e.got, e.want, io.ErrUnexpectedEOF)
	}
	return n, err
}

func (e *exactReader) Close() error { return e.r.Close() }
