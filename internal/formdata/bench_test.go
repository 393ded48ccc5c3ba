package formdata

import (
	"bufio"
	"crypto/rand"
	"io"
	"mime/multipart"
	"testing"
)

// repeatReader yields n bytes of block repeated, copying like a socket.
type repeatReader struct {
	block []byte
	off   int
	n     int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n)]
	k := 0
	for k < len(p) {
		c := copy(p[k:], r.block[r.off:])
		k += c
		r.off = (r.off + c) % len(r.block)
	}
	r.n -= int64(k)
	return k, nil
}

const benchBoundary = "------------------------d74496d66958873e"

// benchBody is one 256 MiB part, generated as it is read.
func benchBody(block []byte, size int64) io.Reader {
	head := "--" + benchBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"model.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--" + benchBoundary + "--\r\n"
	return io.MultiReader(
		&repeatReader{block: []byte(head), n: int64(len(head))},
		&repeatReader{block: block, n: size},
		&repeatReader{block: []byte(tail), n: int64(len(tail))})
}

// readChunks reads like the blob store: 1 MiB chunks, each filled.
func readChunks(b *testing.B, r io.Reader, chunk []byte) int64 {
	var n int64
	for {
		m, err := io.ReadFull(r, chunk)
		n += int64(m)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func benchPart(b *testing.B, next func(io.Reader) io.Reader) {
	const size = 256 << 20
	block := make([]byte, 1<<20+7)
	rand.Read(block)
	chunk := make([]byte, 1<<20)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if n := readChunks(b, next(benchBody(block, size)), chunk); n != size {
			b.Fatalf("read %d bytes", n)
		}
	}
}

func BenchmarkPart(b *testing.B) {
	b.Run("formdata", func(b *testing.B) {
		benchPart(b, func(src io.Reader) io.Reader {
			p, err := NewReader(src, benchBoundary, Options{}).NextPart()
			if err != nil {
				b.Fatal(err)
			}
			return p
		})
	})
	b.Run("formdata-bufio", func(b *testing.B) {
		benchPart(b, func(src io.Reader) io.Reader {
			p, err := NewReader(bufio.NewReaderSize(src, 1<<20), benchBoundary, Options{}).NextPart()
			if err != nil {
				b.Fatal(err)
			}
			return p
		})
	})
	b.Run("multipart-bufio", func(b *testing.B) {
		benchPart(b, func(src io.Reader) io.Reader {
			p, err := multipart.NewReader(bufio.NewReaderSize(src, 1<<20), benchBoundary).NextPart()
			if err != nil {
				b.Fatal(err)
			}
			return p
		})
	})
}
