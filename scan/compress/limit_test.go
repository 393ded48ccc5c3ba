package compress

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// zeroBomb builds a valid gzip file of mib MiB of zeros without
// compressing them all: after a sync flush the deflate window holds only
// zeros, so the block that encodes the second MiB decodes the same
// wherever it is repeated. About 1 KiB of input per MiB of output.
func zeroBomb(t testing.TB, mib int) []byte {
	t.Helper()
	zeros := make([]byte, 1<<20)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	step := func() []byte {
		if _, err := zw.Write(zeros); err != nil {
			t.Fatal(err)
		}
		if err := zw.Flush(); err != nil {
			t.Fatal(err)
		}
		b := bytes.Clone(buf.Bytes())
		buf.Reset()
		return b
	}
	out := step()
	mid := step()
	for i := 2; i < mib; i++ {
		out = append(out, mid...)
	}
	if mib > 1 {
		out = append(out, mid...)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	final := buf.Bytes()
	out = append(out, final[:len(final)-8]...) // the empty last block
	crc := uint32(0)
	for range mib {
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	out = binary.LittleEndian.AppendUint32(out, crc)
	return binary.LittleEndian.AppendUint32(out, uint32(mib<<20))
}

func TestZeroBombIsValidGzip(t *testing.T) {
	data := zeroBomb(t, 5)
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil || n != 5<<20 {
		t.Fatalf("stdlib gzip read %d bytes, %v", n, err)
	}
}

// TestBombStopsAtLimit decompresses 1 GiB of zeros with a 64 MiB limit:
// it must stop with ErrLimit, quickly and without buffering the output.
func TestBombStopsAtLimit(t *testing.T) {
	data := zeroBomb(t, 1024)
	start := time.Now()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := NewReader(Gzip, bytes.NewReader(data), int64(len(data)), Limits{MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	r.Close()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrLimit) || n != 64<<20 {
		t.Fatalf("read %d bytes, %v; want 64 MiB and ErrLimit", n, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("allocated %d bytes to stream a 64 MiB output", alloc)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v", d)
	}
	if !strings.Contains(err.Error(), "larger than the 64 MiB limit") {
		t.Errorf("message: %v", err)
	}
}

func TestRatioLimit(t *testing.T) {
	data := zeroBomb(t, 8) // about 1000:1
	for _, size := range []int64{int64(len(data)), 0} {
		r, err := NewReader(Gzip, bytes.NewReader(data), size, Limits{MaxRatio: 100})
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "expands more than 100 times") {
			t.Errorf("compressed size %d: %v", size, err)
		}
		if n < ratioFloor || n > ratioFloor+64<<10 {
			t.Errorf("compressed size %d: stopped after %d bytes, want just past 1 MiB", size, n)
		}
	}
	// The same file within a generous ratio decodes in full.
	out, err := readAll(t, Gzip, data, Limits{MaxRatio: 5000})
	if err != nil || len(out) != 8<<20 {
		t.Errorf("ratio 5000: %d bytes, %v", len(out), err)
	}
}

// TestSmallOutputSkipsRatio: a tiny file that compresses 10000:1 is not
// a bomb when its output is under the 1 MiB floor.
func TestSmallOutputSkipsRatio(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(make([]byte, 512<<10))
	zw.Close()
	if _, err := readAll(t, Gzip, buf.Bytes(), Limits{MaxRatio: 2}); err != nil {
		t.Errorf("512 KiB output: %v", err)
	}
}

func TestExactLimitIsAllowed(t *testing.T) {
	data := zeroBomb(t, 2)
	out, err := readAll(t, Gzip, data, Limits{MaxBytes: 2 << 20})
	if err != nil || len(out) != 2<<20 {
		t.Errorf("output equal to MaxBytes: %d bytes, %v", len(out), err)
	}
}

func TestReadAfterClose(t *testing.T) {
	r, err := NewReader(Gzip, bytes.NewReader(zeroBomb(t, 1)), 0, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := r.Read(make([]byte, 10)); err == nil {
		t.Error("read after Close succeeded")
	}
}
