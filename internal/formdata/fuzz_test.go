package formdata

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"reflect"
	"testing"
)

const fuzzBoundary = "B-b"

// mimeParts reads body with mime/multipart (raw parts: no
// Content-Transfer-Encoding decoding, as here).
func mimeParts(body []byte) ([]testPart, error) {
	mr := multipart.NewReader(bytes.NewReader(body), fuzzBoundary)
	var parts []testPart
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return parts, nil
		}
		if err != nil {
			return parts, err
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return parts, err
		}
		parts = append(parts, testPart{p.Header, data})
	}
}

// strict reports whether err is a refusal this package makes on purpose
// where mime/multipart accepts.
func strict(err error) bool {
	for _, e := range []error{ErrBareLF, ErrObsFold, ErrHeaderSpace, ErrHeaderTooLarge, ErrTooManyHeaders, ErrTooManyParts, ErrPreambleTooLong} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// dashStart reports whether a part's data starts with "--" boundary as
// mime/multipart reads it: that ends the part there (see the package doc).
func dashStart(parts []testPart) bool {
	for _, p := range parts {
		if confirm(p.data, []byte("--"+fuzzBoundary)) != no {
			return true
		}
	}
	return false
}

func fuzzSeeds(f *testing.F) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.SetBoundary(fuzzBoundary)
	fw, _ := w.CreateFormFile("file", "a/b.txt")
	fw.Write([]byte("hello\r\n--B-"))
	w.WriteField("signature", "")
	w.Close()
	f.Add(buf.Bytes())
	b := "--" + fuzzBoundary
	part := "Content-Disposition: form-data; name=\"file\"; filename=\"x\"\r\nContent-Type: text/plain\r\n\r\nda\rta\r\n-"
	f.Add([]byte("preamble\r\n" + b + " \t\r\n" + part + "\r\n" + b + "\r\n\r\n\r\n" + b + "--  \r\nepilogue"))
	f.Add([]byte(b + "\r\n" + part + "\r\n" + b + "--"))
	f.Add([]byte(b + "\nA: b\n\nx\n" + b + "--\n"))
	f.Add([]byte(b + "\r\nA: b\r\n c\r\n\r\nx\r\n" + b + "x\r\n" + b + "--\r\n"))
}

// FuzzDiff checks formdata against mime/multipart: what formdata accepts,
// mime/multipart reads the same; what mime/multipart accepts, formdata
// accepts unless it refuses on purpose (see the package doc).
func FuzzDiff(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ours, err := readAll(NewReader(bytes.NewReader(body), fuzzBoundary, Options{}), 3)
		// The direct path must agree with the buffered one.
		r := NewReader(bytes.NewReader(body), fuzzBoundary, Options{})
		r.direct = 16
		ours2, err2 := readAll(r, 40)
		if !reflect.DeepEqual(ours, ours2) || err != err2 && (err == nil || err2 == nil || err.Error() != err2.Error()) {
			t.Fatalf("buffered %q %v, direct %q %v", ours, err, ours2, err2)
		}
		theirs, merr := mimeParts(body)
		switch {
		case err == nil && merr == nil:
			if !reflect.DeepEqual(ours, theirs) && !dashStart(ours) {
				t.Fatalf("parts differ:\nformdata %q\nmultipart %q", ours, theirs)
			}
		case err == nil:
			if !dashStart(ours) {
				t.Fatalf("formdata accepts %q, multipart: %v", ours, merr)
			}
		case merr == nil:
			// mime/multipart may end cleanly where the body is cut inside a
			// header; then junk after the body makes it fail, where after a
			// real close delimiter it would be an ignored epilogue.
			_, jerr := mimeParts(append(body[:len(body):len(body)], "\r\n\x00\r\n"...))
			truncated := err == io.ErrUnexpectedEOF && jerr != nil
			if !strict(err) && !truncated && !dashStart(theirs) {
				t.Fatalf("multipart accepts %q, formdata: %v", theirs, err)
			}
		}
	})
}
