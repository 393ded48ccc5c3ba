package telemetry

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkWrite is the request path's cost: a sampling decision and a
// non-blocking enqueue (the writer goroutine drains concurrently; when it
// falls behind, the cheaper drop path is measured too).
func BenchmarkWrite(b *testing.B) {
	for _, bc := range []struct {
		name   string
		sample float64
	}{{"all", 1}, {"sample0.5", 0.5}} {
		b.Run(bc.name, func(b *testing.B) {
			f := mustOpen(b, FileConfig{Path: tempPath(b), Sample: bc.sample})
			r := rec(1)
			b.ReportAllocs()
			for b.Loop() {
				f.Write(r)
			}
			b.StopTimer()
			f.Close()
		})
	}
}

func BenchmarkWriteParallel(b *testing.B) {
	f := mustOpen(b, FileConfig{Path: tempPath(b)})
	r := rec(1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f.Write(r)
		}
	})
	b.StopTimer()
	f.Close()
}

func BenchmarkDigestRow(b *testing.B) {
	x := make([]float32, 64)
	for i := range x {
		x[i] = float32(i % 17)
	}
	b.SetBytes(int64(4 * len(x)))
	b.ReportAllocs()
	for b.Loop() {
		_ = DigestRow(x)
	}
}

// BenchmarkRead is the monitor's side, per record.
func BenchmarkRead(b *testing.B) {
	path := tempPath(b)
	f := mustOpen(b, FileConfig{Path: path, Buffer: 1000})
	for i := range 1000 {
		f.Write(rec(i))
	}
	f.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Read(bytes.NewReader(data), func(Record) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
