package digits

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/scan"
)

var update = flag.Bool("update", false, "regenerate testdata/digits-mlp.safetensors")

const goldenModel = "testdata/digits-mlp.safetensors"

func TestUCI(t *testing.T) {
	d := UCI()
	if d.Len() != 1797 || len(d.X) != 1797*Features {
		t.Fatalf("%d rows, %d values", d.Len(), len(d.X))
	}
	var counts [Classes]int
	for _, y := range d.Y {
		counts[y]++
	}
	if counts != [Classes]int{178, 182, 177, 183, 181, 182, 181, 179, 174, 180} {
		t.Fatalf("class counts %v", counts)
	}
	// The first row of the data set, a zero.
	want := []float32{0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0}
	if !equal(d.Row(0)[:16], want) || d.Y[0] != 0 {
		t.Fatalf("row 0: %v label %d", d.Row(0)[:16], d.Y[0])
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func row(label string, pixels ...string) string {
	fields := make([]string, Features)
	for i := range fields {
		fields[i] = "0"
	}
	copy(fields, pixels)
	return strings.Join(fields, ",") + "," + label
}

func TestLoad(t *testing.T) {
	ok := row("7", "16", "3") + "\r\n" + row("0") + "\n"
	d, err := Load(strings.NewReader(ok))
	if err != nil || d.Len() != 2 || d.Y[0] != 7 || d.X[0] != 16 || d.X[1] != 3 {
		t.Fatalf("%v %+v", err, d)
	}
	// The same, gzip-compressed.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(ok))
	_ = zw.Close()
	if d, err := Load(&gz); err != nil || d.Len() != 2 {
		t.Fatalf("gzip: %v", err)
	}
}

func TestLoadHostile(t *testing.T) {
	long := strings.Repeat("1", 2000)
	for name, in := range map[string]string{
		"empty":           "",
		"blank line":      row("1") + "\n\n" + row("2"),
		"too few fields":  "1,2,3\n",
		"too many fields": row("1") + ",5\n",
		"pixel too large": row("1", "17") + "\n",
		"pixel negative":  row("1", "-1") + "\n",
		"label too large": row("10") + "\n",
		"label negative":  row("-1") + "\n",
		"not a number":    row("1", "x") + "\n",
		"float pixel":     row("1", "1.5") + "\n",
		"empty field":     row("1", "") + "\n",
		"header":          "p0,p1\n" + row("1") + "\n",
		"long line":       long + "\n",
		"huge integer":    row("1", "99999999999999999999999") + "\n",
		"bad gzip":        "\x1f\x8b\x00\x00",
		"nul bytes":       strings.Repeat("\x00", 100),
	} {
		if d, err := Load(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted (%d rows)", name, d.Len())
		} else if !strings.HasPrefix(err.Error(), "digits: ") {
			t.Errorf("%s: error %q", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestLoadRowLimit(t *testing.T) {
	line := row("1") + "\n"
	in := strings.Repeat(line, MaxRows+1)
	if _, err := Load(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(row("3", "1", "2") + "\n"))
	f.Add([]byte(row("11")))
	f.Add(embeddedCSV[:200])
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := Load(bytes.NewReader(in))
		if err != nil {
			return
		}
		if len(d.X) != d.Len()*Features {
			t.Fatalf("%d values for %d rows", len(d.X), d.Len())
		}
		for _, v := range d.X {
			if v < 0 || v > MaxPixel {
				t.Fatalf("pixel %v", v)
			}
		}
	})
}

func TestSplit(t *testing.T) {
	d := UCI()
	tr, te := Split(d, 0.3, 1)
	if tr.Len()+te.Len() != d.Len() {
		t.Fatalf("%d + %d rows", tr.Len(), te.Len())
	}
	var all, test [Classes]int
	for _, y := range d.Y {
		all[y]++
	}
	for _, y := range te.Y {
		test[y]++
	}
	for c := range all {
		if want := int(float64(all[c])*0.3 + 0.5); test[c] != want {
			t.Errorf("class %d: %d test rows, want %d", c, test[c], want)
		}
	}
	tr2, te2 := Split(d, 0.3, 1)
	if !equal(tr.X, tr2.X) || !equal(te.X, te2.X) {
		t.Fatal("the split is not deterministic")
	}
	_, te3 := Split(d, 0.3, 2)
	if equal(te.X, te3.X) {
		t.Fatal("the seed does not change the split")
	}
}

// The committed model is what training reproduces, bit for bit; -update
// writes it. Training uses only float64 arithmetic that Go never fuses and
// its own exp, so the bytes are the same on every processor.
func TestPretrainedGolden(t *testing.T) {
	tr, te := Split(UCI(), 0.3, 1)
	m := Train(tr, DefaultTrainConfig())
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(goldenModel, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	acc := m.Accuracy(te)
	t.Logf("held-out accuracy %.4f (%d of %d), training accuracy %.4f", acc, int(math.Round(acc*float64(te.Len()))), te.Len(), m.Accuracy(tr))
	if acc < 0.95 {
		t.Errorf("held-out accuracy %.4f < 0.95", acc)
	}
	golden, err := os.ReadFile(goldenModel)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(golden, buf.Bytes()) {
		t.Fatalf("training no longer reproduces %s bit for bit (run with -update if the change is intended)", goldenModel)
	}
	if !bytes.Equal(golden, pretrained) {
		t.Fatal("the embedded model differs from the file")
	}
	if got := Pretrained().Accuracy(te); got != acc {
		t.Fatalf("pretrained accuracy %v, trained %v", got, acc)
	}
}

func TestTrainDeterministic(t *testing.T) {
	tr, _ := Split(UCI(), 0.3, 7)
	cfg := TrainConfig{Seed: 3, Epochs: 2, BatchSize: 16, LearningRate: 0.01}
	a, b := Train(tr, cfg), Train(tr, cfg)
	if *a != *b {
		t.Fatal("two runs with one seed differ")
	}
	cfg.Seed = 4
	if c := Train(tr, cfg); *c == *a {
		t.Fatal("the seed changes nothing")
	}
}

func TestExpNeg(t *testing.T) {
	for x := -50.0; x <= 0; x += 0.01 {
		got, want := expNeg(x), math.Exp(x)
		if math.Abs(got-want) > 1e-14*want {
			t.Fatalf("expNeg(%v) = %v, want %v", x, got, want)
		}
	}
	if expNeg(-1000) != 0 || expNeg(math.NaN()) != 0 || expNeg(1) != 1 {
		t.Fatal("edge cases")
	}
}

func TestPredict(t *testing.T) {
	m := Pretrained()
	d := UCI()
	p := m.Predict(d.Row(0))
	var sum float32
	for _, v := range p {
		sum += v
	}
	if math.Abs(float64(sum)-1) > 1e-5 || Label(p) != 0 {
		t.Fatalf("probs %v", p)
	}
	if n := testing.AllocsPerRun(100, func() { m.Predict(d.Row(1)) }); n != 0 {
		t.Fatalf("%v allocations per Predict", n)
	}
	// Extreme but finite inputs give probabilities, not NaN.
	x := make([]float32, Features)
	for i := range x {
		x[i] = 3e38
	}
	for _, v := range m.Predict(x) {
		if math.IsNaN(float64(v)) {
			t.Fatalf("NaN for extreme input: %v", m.Predict(x))
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := Pretrained()
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	n := binary.LittleEndian.Uint64(b)
	if (8+n)%8 != 0 || int(8+n)+dataBytes != len(b) {
		t.Fatalf("header %d, file %d", n, len(b))
	}
	m2, err := LoadModel(bytes.NewReader(b))
	if err != nil || *m2 != *m {
		t.Fatalf("round trip: %v", err)
	}
}

func TestLoadModelHostile(t *testing.T) {
	good := PretrainedFile()
	n := int(binary.LittleEndian.Uint64(good))
	header := string(good[8 : 8+n])
	withHeader := func(h string) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
		return append(append(b, h...), good[8+n:]...)
	}
	nan := bytes.Clone(good)
	binary.LittleEndian.PutUint32(nan[8+n:], math.Float32bits(float32(math.NaN())))
	huge := bytes.Clone(good)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	for name, in := range map[string][]byte{
		"empty":        nil,
		"short":        good[:4],
		"huge header":  huge,
		"truncated":    good[:len(good)-1],
		"trailing":     append(bytes.Clone(good), 0),
		"not JSON":     withHeader(strings.Repeat("x", len(header))),
		"F16":          withHeader(strings.Replace(header, `"F32"`, `"F16"`, 1)),
		"wrong shape":  withHeader(strings.Replace(header, "[32,64]", "[64,32]", 1)),
		"extra tensor": withHeader(strings.Replace(header, `{"__metadata__"`, `{"x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"__metadata__"`, 1)),
		"overlap":      withHeader(strings.Replace(header, `"data_offsets":[0,128]`, `"data_offsets":[128,256]`, 1)),
		"other scale":  withHeader(strings.Replace(header, `"0.0625"`, `"0.1250"`, 1)),
		"NaN weight":   nan,
	} {
		if _, err := LoadModel(bytes.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func FuzzLoadModel(f *testing.F) {
	f.Add(PretrainedFile())
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := LoadModel(bytes.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := m.Save(&buf); err != nil {
			t.Fatal(err)
		}
	})
}

// modelward's own scanner reads the committed model as a clean safetensors
// file.
func TestScannerCleanVerdict(t *testing.T) {
	path := filepath.Join(t.TempDir(), "digits-mlp.safetensors")
	if err := os.WriteFile(path, PretrainedFile(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{goldenModel, path} {
		rep := scan.New(scan.Options{}).ScanFiles(context.Background(), []string{p})
		f := rep.Files[0]
		if f.Verdict != scan.Clean || f.Format != "safetensors" || len(f.Findings) != 0 {
			t.Fatalf("%s: verdict %s, format %s, findings %+v, error %q", p, f.Verdict, f.Format, f.Findings, f.Error)
		}
	}
}

func BenchmarkPredict(b *testing.B) {
	m := Pretrained()
	d := UCI()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Predict(d.Row(i % d.Len()))
		i++
	}
}

func BenchmarkTrain(b *testing.B) {
	tr, _ := Split(UCI(), 0.3, 1)
	for b.Loop() {
		Train(tr, DefaultTrainConfig())
	}
}
