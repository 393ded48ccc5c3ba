package storetest

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/modelward/modelward/registry"
)

// BenchVersionRead measures Version reads from every core at once, the
// hot path of a server answering "may I load m@n?".
func BenchVersionRead(b *testing.B, s registry.Store) {
	ctx := context.Background()
	const versions = 200
	for i := range versions {
		v := newVersion("bench", i)
		if err := s.CreateVersion(ctx, v, entry("version.push")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := rand.Int64N(versions) + 1
			v, err := s.Version(ctx, "bench", n)
			if err != nil || v.Number != n {
				b.Errorf("Version(bench, %d): %v", n, err)
				return
			}
		}
	})
}
