package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/gateway/digits"
)

// calibrate on real digits exits 0 with a report; on noise offered as
// benign it exits 1, since those "benign" clients would be flagged.
func TestGatewayCalibrateCommand(t *testing.T) {
	up := digitsUpstream(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gateway.yaml")
	yml := fmt.Sprintf(`listen: 127.0.0.1:0
auth: {registry: {data: %q}}
models:
  - name: digits
    upstreams: [%s]
    rate: {rate: 100, burst: 100}
    input: {name: pixels, features: 64, min: 0, max: 16}
    classes: 10
    detect: {prada: {enabled: true}, signals: {enabled: true}}
`, filepath.Join(dir, "no-registry-needed"), up.URL)
	if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(name string, row func(i int) []float32) string {
		var b strings.Builder
		for i := range 400 {
			for j, v := range row(i) {
				if j > 0 {
					b.WriteByte(',')
				}
				fmt.Fprint(&b, v)
			}
			b.WriteByte('\n')
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	benign := write("benign.csv", func(i int) []float32 { return digits.UCI().Row(i) })
	r := rand.New(rand.NewPCG(1, 1))
	noise := write("noise.csv", func(int) []float32 {
		x := make([]float32, 64)
		for j := range x {
			x[j] = float32(r.IntN(17))
		}
		return x
	})
	var out bytes.Buffer
	args := []string{"gateway", "calibrate", "--config", cfg, "--model", "digits", "--clients", "3", "--queries", "150"}
	if code := run(append(args, "--benign", benign, "--json"), &out, io.Discard); code != exitOK {
		t.Fatalf("benign: exit %d: %s", code, out.String())
	}
	var rep struct {
		PRADA struct {
			LowestW float64 `json:"lowest_w"`
		} `json:"prada"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || !(rep.PRADA.LowestW > 0.5 && rep.PRADA.LowestW < 1) {
		t.Fatalf("report %v: %s", err, out.String())
	}
	out.Reset()
	if code := run(append(args, "--benign", noise), &out, io.Discard); code != exitFindings || !strings.Contains(out.String(), "max_coverage") {
		t.Fatalf("noise: exit %d: %s", code, out.String())
	}
	var errb bytes.Buffer
	if code := run([]string{"gateway", "calibrate", "--config", cfg}, io.Discard, &errb); code != exitError || !strings.Contains(errb.String(), "required") {
		t.Fatalf("usage: exit %d %s", code, errb.String())
	}
}
