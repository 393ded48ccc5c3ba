package server

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"
)

// BenchmarkPushServer is the server's side of a large push alone: a
// multipart body of four files, generated in memory as fast as the server
// takes it, through the push handler (multipart decoding, the blob store's
// pipelined write and hash, fsync, the check) into a data folder, beside
// one core's SHA-256 of the same number of bytes. On a machine of few
// cores the end-to-end push (bench/registry.sh) shares them with the
// client; this is what the registry itself costs.
//
//	MODELWARD_PUSH_MB=1000 MODELWARD_BENCH_DIR=/dev/shm go test -run '^$' -bench PushServer -benchtime 3x ./server
//
// MODELWARD_PUSH_MB is the body's size (default 256); MODELWARD_BENCH_DIR
// the data folder's parent (default the test's temporary folder).
func BenchmarkPushServer(b *testing.B) {
	mb := 256
	if v, err := strconv.Atoi(os.Getenv("MODELWARD_PUSH_MB")); err == nil && v > 0 {
		mb = v
	}
	parent := b.TempDir()
	if d := os.Getenv("MODELWARD_BENCH_DIR"); d != "" {
		var err error
		if parent, err = os.MkdirTemp(d, "modelward-push-bench-"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(parent) })
	}
	block := make([]byte, 1<<20)
	rand.Read(block)
	size := int64(mb) << 20
	hashTime := timeHash(block, size)
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		dir, err := os.MkdirTemp(parent, "data-")
		if err != nil {
			b.Fatal(err)
		}
		w := setupIn(b, Options{}, dir)
		b.StartTimer()
		if st := pushGenerated(b, w, fmt.Sprint("team/big-", i), block, size); st != http.StatusCreated {
			b.Fatalf("push: %d", st)
		}
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.ReportMetric(hashTime.Seconds(), "hash-s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/hashTime.Seconds(), "x-hash")
}

// timeHash is one core's SHA-256 time over size bytes of block repeated.
func timeHash(block []byte, size int64) time.Duration {
	h := sha256.New()
	start := time.Now()
	for n := int64(0); n < size; n += int64(len(block)) {
		h.Write(block[:min(int64(len(block)), size-n)])
	}
	h.Sum(nil)
	return time.Since(start)
}

// pushGenerated sends a push of four files of size/4 bytes each, the block
// repeated (each file starting at a different offset, so their digests
// differ), through the server's handler without a network.
func pushGenerated(b *testing.B, w *world, model string, block []byte, size int64) int {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		var err error
		for f := range 4 {
			var part io.Writer
			if part, err = mw.CreateFormFile("file", fmt.Sprintf("model-%05d.bin", f)); err != nil {
				break
			}
			left := size / 4
			for off := f; left > 0 && err == nil; off = 0 {
				n := min(int64(len(block)-off), left)
				_, err = part.Write(block[off : off+int(n)])
				left -= n
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req := httptest.NewRequest("POST", "/v1/models/"+escape(model)+"/versions", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+w.tok["publisher"])
	rec := httptest.NewRecorder()
	w.ts.Config.Handler.ServeHTTP(rec, req)
	pr.Close()
	return rec.Code
}
