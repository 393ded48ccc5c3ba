package blob

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// The pipeline copies and hashes every size exactly, and stops cleanly on
// a failing reader or writer without leaking a stage.
func TestCopyHashing(t *testing.T) {
	const chunk = 1 << 20
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, chunk - 1, chunk, chunk + 1, 7*chunk + 13} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		var dst bytes.Buffer
		n, sum, err := copyHashing(&dst, iotestHalf{bytes.NewReader(data)})
		want := sha256.Sum256(data)
		if err != nil || n != int64(size) || !bytes.Equal(sum, want[:]) || !bytes.Equal(dst.Bytes(), data) {
			t.Fatalf("size %d: n %d err %v", size, n, err)
		}
	}
	boom := errors.New("disk full")
	if _, _, err := copyHashing(&failAfter{n: 3 * chunk, err: boom}, bytes.NewReader(make([]byte, 20*chunk))); !errors.Is(err, boom) {
		t.Fatalf("writer failure: %v", err)
	}
	if _, _, err := copyHashing(io.Discard, io.MultiReader(bytes.NewReader(make([]byte, 2*chunk+5)), errReader{boom})); !errors.Is(err, boom) {
		t.Fatalf("reader failure: %v", err)
	}
	// A source cut short says io.ErrUnexpectedEOF itself: that is a failure.
	if _, _, err := copyHashing(io.Discard, io.MultiReader(bytes.NewReader(make([]byte, 100)), errReader{io.ErrUnexpectedEOF})); err == nil {
		t.Fatal("a truncated source copied cleanly")
	}
}

// iotestHalf returns at most half of what is asked, as sockets do.
type iotestHalf struct{ r io.Reader }

func (h iotestHalf) Read(p []byte) (int, error) { return h.r.Read(p[:max(1, len(p)/2)]) }

type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, f.err
	}
	return len(p), nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func BenchmarkCopyHashing(b *testing.B) {
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := copyHashing(io.Discard, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
