package scan

import (
	"bytes"
	"io"
	"math/rand"
	"testing"
)

// Every read through the cache returns what the underlying reader returns.
func TestBlockCacheMatchesReader(t *testing.T) {
	data := make([]byte, 3*blockSize+123)
	rand.New(rand.NewSource(1)).Read(data)
	src := bytes.NewReader(data)
	c := newBlockCache(src, int64(len(data)))
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 5000; i++ {
		off := r.Int63n(int64(len(data)) + 10)
		n := r.Intn(blockSize/2) + 1
		want := make([]byte, n)
		got := make([]byte, n)
		wn, werr := src.ReadAt(want, off)
		gn, gerr := c.ReadAt(got, off)
		if wn != gn || !bytes.Equal(want[:wn], got[:gn]) || (werr == io.EOF) != (gerr == io.EOF) {
			t.Fatalf("ReadAt(%d bytes at %d): got %d %v, want %d %v", n, off, gn, gerr, wn, werr)
		}
	}
}
