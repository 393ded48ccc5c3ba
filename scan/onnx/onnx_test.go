package onnx

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

// checkFile runs Check on a fixture with its folder as cfg.Dir.
func checkFile(t testing.TB, path string) (*Result, []finding.Finding) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !Is(b) {
		t.Errorf("%s: Is = false", path)
	}
	res, fs, err := Check(bytes.NewReader(b), int64(len(b)), Config{Location: finding.Location{Path: path}, Dir: filepath.Dir(path)})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return res, fs
}

func fixtures(t testing.TB, kind string) []string {
	one, _ := filepath.Glob(filepath.Join("testdata", kind, "*.onnx"))
	two, _ := filepath.Glob(filepath.Join("testdata", kind, "*", "*.onnx"))
	all := append(one, two...)
	if len(all) == 0 {
		t.Fatal("no fixtures: run /usr/bin/python3 scripts/gen_onnx.py scan/onnx")
	}
	return all
}

// count returns how many findings have rule and severity.
func count(fs []finding.Finding, rule string, sev finding.Severity) int {
	n := 0
	for _, f := range fs {
		if f.Rule == rule && f.Severity == sev {
			n++
		}
	}
	return n
}

func TestBenignFixturesHaveNothingAtMediumOrAbove(t *testing.T) {
	for _, path := range fixtures(t, "benign") {
		res, fs := checkFile(t, path)
		for _, f := range fs {
			if f.Severity >= finding.Medium {
				t.Errorf("%s: %s %s: %s", path, f.Rule, f.Severity, f.Message)
			}
		}
		if res.IRVersion != 8 || res.Producer != "modelward-fixtures" || res.Opsets[""] < 17 || res.Nodes == 0 {
			t.Errorf("%s: summary %+v", path, res)
		}
	}
}

func TestBenignInfoFindings(t *testing.T) {
	cases := []struct {
		file, rule string
		n          int
	}{
		{"com_microsoft_op.onnx", finding.CustomOperator, 1},
		{"local_function.onnx", finding.ModelFunctions, 1},
		{"local_function.onnx", finding.CustomOperator, 0}, // the call resolves to the local function
		{"ml_linear_classifier.onnx", finding.CustomOperator, 0},
		{"if_loop.onnx", finding.CustomOperator, 0},
		{"newer_standard_op.onnx", finding.CustomOperator, 1}, // Gelu, standard since opset 20
	}
	for _, c := range cases {
		_, fs := checkFile(t, filepath.Join("testdata", "benign", c.file))
		if got := count(fs, c.rule, finding.Info); got != c.n {
			t.Errorf("%s: %d %s info findings, want %d: %+v", c.file, got, c.rule, c.n, fs)
		}
	}
}

func TestBenignSummaries(t *testing.T) {
	res, _ := checkFile(t, "testdata/benign/external/model.onnx")
	if strings.Join(res.ExternalFiles, ",") != "weights.bin" {
		t.Errorf("external files %v", res.ExternalFiles)
	}
	res, _ = checkFile(t, "testdata/benign/if_loop.onnx")
	if res.Nodes != 7 { // If, Loop, then/else bodies, three body nodes
		t.Errorf("if_loop: %d nodes, want 7", res.Nodes)
	}
	res, _ = checkFile(t, "testdata/benign/ml_linear_classifier.onnx")
	if res.Opsets["ai.onnx.ml"] != 3 {
		t.Errorf("ml opsets %v", res.Opsets)
	}
}

type want struct {
	rule string
	sev  finding.Severity
}

func TestMaliciousFixtures(t *testing.T) {
	cases := map[string][]want{
		"ext_traversal.onnx":       {{finding.ExternalDataEscape, finding.Critical}},
		"ext_absolute.onnx":        {{finding.ExternalDataEscape, finding.Critical}},
		"ext_windows_drive.onnx":   {{finding.ExternalDataEscape, finding.Critical}},
		"ext_unc.onnx":             {{finding.ExternalDataEscape, finding.Critical}},
		"ext_loop_constant.onnx":   {{finding.ExternalDataEscape, finding.Critical}},
		"ext_sparse.onnx":          {{finding.ExternalDataEscape, finding.Critical}},
		"ext_training_info.onnx":   {{finding.ExternalDataEscape, finding.Critical}},
		"custom_domain_op.onnx":    {{finding.CustomOperator, finding.Medium}},
		"unknown_default_op.onnx":  {{finding.CustomOperator, finding.Medium}},
		"metadata_elf.onnx":        {{finding.PickleExecutable, finding.High}},
		"metadata_template.onnx":   {{finding.MetadataInjection, finding.High}},
		"raw_data_lie.onnx":        {{finding.StructureInvalid, finding.High}},
		"truncated.onnx":           {{finding.StructureInvalid, finding.High}},
		"ext_span/model.onnx":      {{finding.StructureInvalid, finding.High}},
		"ext_windows_device.onnx":  {{finding.ExternalDataEscape, finding.Critical}},
		"ext_home.onnx":            {{finding.ExternalDataEscape, finding.High}},
		"ext_percent_encoded.onnx": {{finding.ExternalDataEscape, finding.High}},
		// An unknown default-domain operator behind a forged opset stays
		// medium, and the forged opset is itself reported.
		"opset_nonexistent.onnx":          {{finding.CustomOperator, finding.Medium}, {finding.StructureInvalid, finding.High}},
		"function_opset_nonexistent.onnx": {{finding.CustomOperator, finding.Medium}, {finding.StructureInvalid, finding.High}},
	}
	seen := map[string]bool{}
	for _, path := range fixtures(t, "malicious") {
		rel, _ := filepath.Rel(filepath.Join("testdata", "malicious"), path)
		ws, ok := cases[filepath.ToSlash(rel)]
		if !ok {
			t.Errorf("%s: no expectation", rel)
			continue
		}
		seen[filepath.ToSlash(rel)] = true
		_, fs := checkFile(t, path)
		for _, w := range ws {
			if count(fs, w.rule, w.sev) == 0 {
				t.Errorf("%s: no %s at %s in %+v", rel, w.rule, w.sev, fs)
			}
		}
	}
	for name := range cases {
		if !seen[name] {
			t.Errorf("fixture %s is missing", name)
		}
	}
}

// Each distinct operator is one finding, however many nodes use it.
func TestOperatorReportedOncePerKind(t *testing.T) {
	var nodes [][]byte
	for range 5 {
		nodes = append(nodes, node("Exec", "com.attacker"))
	}
	nodes = append(nodes, node("Relu", ""), node("Gemm", "ai.onnx"))
	_, fs := mustCheck(t, model(graph(nodes...), opsetImport("", 17), opsetImport("com.attacker", 1)), "")
	if len(fs) != 1 || fs[0].Rule != finding.CustomOperator || !strings.Contains(fs[0].Message, "5 node") {
		t.Errorf("%+v", fs)
	}
}

// An operator unknown to onnx 1.12 is info when the model imports a newer
// default opset (it may be a newer standard op), medium otherwise.
func TestNewerOpsetIsInfo(t *testing.T) {
	for _, c := range []struct {
		opset int64
		sev   finding.Severity
	}{{17, finding.Medium}, {23, finding.Info}} {
		_, fs := mustCheck(t, model(graph(node("Attention", "")), opsetImport("", c.opset)), "")
		if len(fs) != 1 || fs[0].Severity != c.sev {
			t.Errorf("opset %d: %+v", c.opset, fs)
		}
	}
}

func TestVendorDomainsAreInfo(t *testing.T) {
	for _, d := range []string{"com.microsoft", "com.microsoft.nchwc", "org.pytorch.aten", "ai.onnx.preview.training", "com.ms.internal.nhwc"} {
		_, fs := mustCheck(t, model(graph(node("Op", d))), "")
		if len(fs) != 1 || fs[0].Severity != finding.Info {
			t.Errorf("%s: %+v", d, fs)
		}
	}
}
