package scan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/policy"
)

// FuzzInspect drives the whole dispatcher (detection, every container and
// decompressor, npy, joblib and the pickle machine) with small limits. It
// must never panic or hang, and every finding must name a known rule.
func FuzzInspect(f *testing.F) {
	for _, pat := range []string{"../testdata/corpus/*/*/*", "testdata/redteam/*", "compress/testdata/*", "npy/testdata/*", "safetensors/testdata/*/*"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	pol := policy.Default()
	pol.Limits.MaxDecompressedBytes = 8 << 20
	pol.Limits.MaxTotalBytes = 32 << 20
	pol.Limits.MaxPickleOps = 200_000
	pol.Limits.MaxArchiveMembers = 200
	pol.Limits.MaxNestedBytes = 1 << 20
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		j := newJob(ctx, pol, "fuzz.bin", "")
		j.inspectAt(bytes.NewReader(b), int64(len(b)), nil, 0, roleFile)
		for _, x := range j.findings {
			if _, ok := finding.Lookup(x.Rule); !ok {
				t.Fatalf("unknown rule %s", x.Rule)
			}
		}
	})
}
