package formdata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"
	"testing/iotest"
)

type testPart struct {
	header textproto.MIMEHeader
	data   []byte
}

// build writes parts with multipart.Writer.
func build(t testing.TB, boundary string, datas [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.SetBoundary(boundary); err != nil {
		t.Fatal(err)
	}
	for i, d := range datas {
		fw, err := w.CreateFormFile("file", fmt.Sprintf("dir/f%d.bin", i))
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(d)
	}
	w.Close()
	return buf.Bytes()
}

// readAll reads every part with reads of size n.
func readAll(r *Reader, n int) ([]testPart, error) {
	var parts []testPart
	buf := make([]byte, n)
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return parts, nil
		}
		if err != nil {
			return parts, err
		}
		var data []byte
		for {
			k, err := p.Read(buf)
			data = append(data, buf[:k]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				return parts, err
			}
		}
		parts = append(parts, testPart{p.Header, data})
	}
}

// shortReader returns random short reads.
type shortReader struct {
	r   io.Reader
	rnd *rand.Rand
}

func (s *shortReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1+s.rnd.IntN(len(p))]
	}
	return s.r.Read(p)
}

var shapes = func() map[string][][]byte {
	const b = "BoUnDaRy"
	big := bytes.Repeat([]byte("0123456789abcdef\r\n-"), 200_000)
	many := make([][]byte, 300)
	for i := range many {
		many[i] = []byte(strings.Repeat("x", i%7))
	}
	return map[string][][]byte{
		"empty":       {{}},
		"empties":     {{}, {}, {}},
		"dashb":       {[]byte("--" + b + "\r\n"), []byte("x--" + b + "--")},
		"crlfprefix":  {[]byte("a\r\n--" + b[:5]), []byte("\r\n--" + b[:7]), []byte("\r\n--" + b + "X")},
		"endcr":       {[]byte("data\r"), []byte("\r")},
		"endcrlfdash": {[]byte("data\r\n-"), []byte("\r\n--")},
		"startdash":   {[]byte("--" + b + "-x"), []byte("-")},
		"big":         {big, []byte("tail")},
		"many":        many,
	}
}()

func check(t *testing.T, got []testPart, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d parts, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].data, want[i]) {
			t.Fatalf("part %d: %d bytes, want %d", i, len(got[i].data), len(want[i]))
		}
		if got[i].header.Get("Content-Disposition") != fmt.Sprintf(`form-data; name="file"; filename="dir/f%d.bin"`, i) {
			t.Fatalf("part %d: header %v", i, got[i].header)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	wrap := map[string]func(io.Reader) io.Reader{
		"plain":   func(r io.Reader) io.Reader { return r },
		"short":   func(r io.Reader) io.Reader { return &shortReader{r, rnd} },
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
		"onebyte": iotest.OneByteReader,
	}
	sizes := []int{1, 2, 3, 7, 13, 64, 1000, 4096, 32 << 10, 33<<10 + 1, 64 << 10, 1 << 20, 2 << 20}
	for name, datas := range shapes {
		body := build(t, "BoUnDaRy", datas)
		for wn, w := range wrap {
			for _, n := range sizes {
				if len(body) > 1<<20 && (n < 1000 || wn == "onebyte") {
					continue // covered by TestReadSizes
				}
				got, err := readAll(NewReader(w(bytes.NewReader(body)), "BoUnDaRy", Options{}), n)
				if err != nil {
					t.Fatalf("%s/%s/%d: %v", name, wn, n, err)
				}
				check(t, got, datas)
			}
		}
	}
}

// Every read size from 1 byte to 2 MiB (a spread of them) over a body with
// a large part, with random short reads underneath.
func TestReadSizes(t *testing.T) {
	datas := shapes["big"]
	body := build(t, "BoUnDaRy", datas)
	rnd := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 2<<20; n += 1 + n/3 {
		src := io.Reader(bytes.NewReader(body))
		if n%2 == 1 {
			src = &shortReader{src, rnd}
		}
		got, err := readAll(NewReader(src, "BoUnDaRy", Options{}), n)
		if err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		check(t, got, datas)
	}
}

// Curl-like bodies: preamble, padding, epilogue, a boundary at the start.
func TestCurlShapes(t *testing.T) {
	const b = "------------------------d74496d66958873e"
	part := "Content-Disposition: form-data; name=\"file\"; filename=\"dir/f0.bin\"\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\n"
	for _, body := range []string{
		"--" + b + "\r\n" + part + "--" + b + "--\r\n",
		"preamble\r\nmore\n--" + b + " \t\r\n" + part + "--" + b + "-- \r\nepilogue\r\n--" + b + "\r\n",
		"\r\n--" + b + "\r\n" + part + "--" + b + "--",
	} {
		got, err := readAll(NewReader(strings.NewReader(body), b, Options{}), 100)
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		check(t, got, [][]byte{[]byte("hello")})
	}
}

// A body cut at any offset never ends cleanly unless the close delimiter
// was read.
func TestTruncation(t *testing.T) {
	body := build(t, "BoUnDaRy", [][]byte{[]byte("first\r\n"), []byte("second")})
	end := bytes.LastIndex(body, []byte("--BoUnDaRy--")) + len("--BoUnDaRy--")
	for cut := 0; cut < len(body); cut++ {
		for _, n := range []int{1, 5, 1 << 20} {
			_, err := readAll(NewReader(bytes.NewReader(body[:cut]), "BoUnDaRy", Options{}), n)
			if cut < end && err != io.ErrUnexpectedEOF {
				t.Fatalf("cut at %d/%d, reads of %d: %v", cut, len(body), n, err)
			}
			if cut >= end && cut != end+1 && err != nil { // "--b--\r" is not a line
				t.Fatalf("cut in the epilogue at %d: %v", cut, err)
			}
		}
	}
}

func TestBounds(t *testing.T) {
	const b = "bb"
	long := "--" + b + "\r\nX-Long: " + strings.Repeat("a", 1<<20) + "\r\n\r\n\r\n--" + b + "--\r\n"
	lines := "--" + b + "\r\n" + strings.Repeat("A: b\r\n", 100) + "\r\n\r\n--" + b + "--\r\n"
	parts := strings.Repeat("--"+b+"\r\n\r\nx\r\n", 11) + "--" + b + "--\r\n"
	cases := []struct {
		name, body, boundary string
		want                 error
	}{
		{"header bytes", long, b, ErrHeaderTooLarge},
		{"header lines", lines, b, ErrTooManyHeaders},
		{"parts", parts, b, ErrTooManyParts},
		{"long boundary", "--" + strings.Repeat("b", 71) + "\r\n", strings.Repeat("b", 71), ErrInvalidBoundary},
		{"empty boundary", "--\r\n", "", ErrInvalidBoundary},
		{"crlf boundary", "--a\r\n", "a\r\n", ErrInvalidBoundary},
		{"preamble", strings.Repeat("x", 1<<20), b, ErrPreambleTooLong},
		{"preamble lines", strings.Repeat("x\r\n", 1<<20), b, ErrPreambleTooLong},
		{"padding", "--" + b + strings.Repeat(" ", 1<<20) + "\r\n", b, ErrPreambleTooLong},
		{"obs-fold", "--" + b + "\r\nA: b\r\n c\r\n\r\n\r\n--" + b + "--", b, ErrObsFold},
		{"bare lf", "--" + b + "\nA: b\n\nx\n--" + b + "--\n", b, ErrBareLF},
		{"bare lf header", "--" + b + "\r\nA: b\n\r\nx\r\n--" + b + "--\r\n", b, ErrBareLF},
		{"space", "--" + b + "\r\nA b: c\r\n\r\nx\r\n--" + b + "--\r\n", b, ErrHeaderSpace},
		{"after boundary", "--" + b + "\r\n\r\nx\r\n--" + b + " x\r\n", b, ErrSyntax},
	}
	for _, c := range cases {
		_, err := readAll(NewReader(strings.NewReader(c.body), c.boundary, Options{MaxParts: 10}), 4096)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := readAll(NewReader(strings.NewReader(strings.Repeat("--"+b+"\r\n\r\nx\r\n", 10)+"--"+b+"--"), b, Options{MaxParts: 10}), 10); err != nil {
		t.Error(err)
	}
	if _, err := readAll(NewReader(strings.NewReader(lines), b, Options{MaxHeaderLines: 100}), 10); err != nil {
		t.Error(err)
	}
}

// Reading a part partly and then moving on skips its rest.
func TestSkip(t *testing.T) {
	datas := shapes["big"]
	body := build(t, "BoUnDaRy", datas)
	r := NewReader(bytes.NewReader(body), "BoUnDaRy", Options{})
	p, err := r.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	p.Read(make([]byte, 100))
	p, err = r.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(p)
	if err != nil || string(b) != "tail" {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := r.NextPart(); err != io.EOF {
		t.Fatal(err)
	}
}
