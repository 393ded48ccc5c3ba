package formdata

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"testing"
)

// chunkReader returns reads of random sizes (from a few sizes that hit the
// boundaries: 1, the delimiter length ±1, buffer-ish sizes), optionally
// returning the last bytes together with io.EOF, and zero-byte reads.
type chunkReader struct {
	b        []byte
	rnd      *rand.Rand
	eofLast  bool
	zeroRead bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	if c.zeroRead && c.rnd.IntN(8) == 0 {
		return 0, nil
	}
	sizes := []int{1, 2, 3, 5, 7, 8, 9, 10, 11, 13, 4095, 4096, 32767, 32768, 33280, 65536, 1 << 20}
	n := sizes[c.rnd.IntN(len(sizes))]
	n = min(n, len(p), len(c.b))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	if c.eofLast && len(c.b) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// readChunks as registry/blob does it: 1 MiB chunks, repeated Reads until
// the chunk is full or an error, with pieces of other sizes mixed in.
func readPartLikeBlob(p *Part, rnd *rand.Rand) ([]byte, error) {
	var out []byte
	for {
		size := []int{1 << 20, 1 << 20, 32 << 10, 33 << 10, 100, 1, 7}[rnd.IntN(7)]
		b := make([]byte, size)
		// poison: the reader may use b as scratch, but must not return it
		for i := range b {
			b[i] = 0xEE
		}
		m := 0
		var err error
		for m < len(b) && err == nil {
			var k int
			k, err = p.Read(b[m:])
			m += k
		}
		out = append(out, b[:m]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func randData(rnd *rand.Rand, boundary string) []byte {
	pieces := []string{"\r", "\n", "\r\n", "\r\n-", "\r\n--", "\r\n--" + boundary[:len(boundary)-1], "\r\n--" + boundary + "X", "\r\n--" + boundary + "-", "--" + boundary, "x", "abc", "\r\r\r"}
	var b []byte
	n := rnd.IntN(3)
	switch n {
	case 0:
		return b
	case 1:
		for range rnd.IntN(50) {
			b = append(b, pieces[rnd.IntN(len(pieces))]...)
		}
	case 2:
		for len(b) < 1<<20+rnd.IntN(3<<20) {
			if rnd.IntN(100) == 0 {
				b = append(b, pieces[rnd.IntN(len(pieces))]...)
			} else {
				b = append(b, bytes.Repeat([]byte{byte(rnd.IntN(256))}, rnd.IntN(70000))...)
			}
		}
	}
	// never end data in a way multipart.Writer output makes ambiguous? no:
	// the Writer always emits CRLF--boundary after it, any data is legal.
	return b
}

// Bodies from multipart.Writer with data full of near-delimiters, read
// through random odd read sizes (zero-byte reads, the last bytes with
// io.EOF) the way the blob store reads a part, a quarter of the parts
// skipped half read, a third of the bodies cut at a random byte: every
// complete part exact, and a cut body never ends cleanly. (From a review.)
func TestRandomChunking(t *testing.T) {
	const boundary = "B-b"
	for seed := uint64(100000); seed < 100100; seed++ {
		rnd := rand.New(rand.NewPCG(seed, 99))
		var datas [][]byte
		for range 1 + rnd.IntN(4) {
			d := randData(rnd, boundary)
			// "--boundary" at the start of data is the documented mime/multipart difference; fine here
			datas = append(datas, d)
		}
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.SetBoundary(boundary)
		for _, d := range datas {
			fw, _ := w.CreateFormFile("file", "f.bin")
			fw.Write(d)
		}
		w.Close()
		body := buf.Bytes()
		if ok := func() bool {
			mp, err := mimeParts(body)
			if err != nil || len(mp) != len(datas) {
				return false
			}
			for i := range mp {
				if !bytes.Equal(mp[i].data, datas[i]) {
					return false
				}
			}
			return true
		}(); !ok {
			continue // the data holds a real delimiter
		}
		cut := -1
		if rnd.IntN(3) == 0 {
			cut = rnd.IntN(len(body))
			// cutting inside the final "--\r\n" of the close delimiter is legal
			// when at least "--B-b--" survives
			body = body[:cut]
		}
		src := &chunkReader{b: body, rnd: rnd, eofLast: rnd.IntN(2) == 0, zeroRead: rnd.IntN(2) == 0}
		r := NewReader(src, boundary, Options{})
		var got [][]byte
		var err error
		skipped := map[int]bool{}
		for i := 0; ; i++ {
			var p *Part
			p, err = r.NextPart()
			if err != nil {
				break
			}
			if rnd.IntN(4) == 0 {
				// read a little, then skip the rest (drain path)
				b := make([]byte, rnd.IntN(40))
				p.Read(b)
				skipped[i] = true
				got = append(got, nil)
				continue
			}
			var d []byte
			d, err = readPartLikeBlob(p, rnd)
			if err != nil {
				break
			}
			got = append(got, d)
		}
		full := cut < 0 || cut == len(buf.Bytes())-2
		if full {
			if err != io.EOF || len(got) != len(datas) {
				t.Fatalf("seed %d: full body: %d parts, err %v, want %d", seed, len(got), err, len(datas))
			}
			for i := range got {
				if !skipped[i] && !bytes.Equal(got[i], datas[i]) {
					t.Fatalf("seed %d part %d: data differs (len %d vs %d)", seed, i, len(got[i]), len(datas[i]))
				}
			}
			continue
		}
		// truncated: every part reported complete must be exact, and the end
		// must not be clean.
		for i := range got {
			if !skipped[i] && !bytes.Equal(got[i], datas[i]) {
				t.Fatalf("seed %d cut %d/%d part %d: complete part with wrong data (len %d vs %d)", seed, cut, len(buf.Bytes()), i, len(got[i]), len(datas[i]))
			}
		}
		if err == io.EOF || err == nil {
			t.Fatalf("seed %d cut %d/%d: clean end with %d/%d parts", seed, cut, len(buf.Bytes()), len(got), len(datas))
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.ErrNoProgress) {
			t.Logf("seed %d: err %v", seed, err)
		}
	}
}
