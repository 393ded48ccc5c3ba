package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/report"
)

const (
	clean     = "../../examples/clean-model"
	malicious = "../../examples/malicious-model"
)

func runOut(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	if code == exitError {
		t.Logf("stderr: %s", errb.String())
	}
	return code, out.String()
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"clean model", []string{"scan", clean}, exitOK},
		{"malicious model", []string{"scan", malicious}, exitFindings},
		{"malicious model, fail on critical", []string{"scan", "--fail-on", "critical", malicious}, exitFindings},
		{"clean and malicious together", []string{"scan", clean, malicious}, exitFindings},
		{"missing path", []string{"scan", "does/not/exist"}, exitError},
		{"bad format", []string{"scan", "--format", "xml", clean}, exitError},
		{"bad severity", []string{"scan", "--fail-on", "severe", clean}, exitError},
		{"no path", []string{"scan"}, exitError},
		{"unknown flag", []string{"scan", "--frobnicate", clean}, exitError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, _ := runOut(t, c.args...); got != c.want {
				t.Errorf("exit %d, want %d", got, c.want)
			}
		})
	}
}

func TestOutputFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	if code, _ := runOut(t, "scan", "--format", "json", "--output", out, clean); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	b, err := os.ReadFile(out)
	if err != nil || !json.Valid(b) {
		t.Fatalf("report file missing or not JSON: %v", err)
	}
}

func TestEnvironmentFailOn(t *testing.T) {
	t.Setenv("MODELWARD_FAIL_ON", "critical")
	// A file with only a low finding passes a critical threshold.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.bin"), []byte("just text, not a model"), 0o644)
	if got, _ := runOut(t, "scan", dir); got != exitOK {
		t.Errorf("exit %d with MODELWARD_FAIL_ON=critical and only low findings", got)
	}
	t.Setenv("MODELWARD_FAIL_ON", "low")
	if got, _ := runOut(t, "scan", dir); got != exitFindings {
		t.Errorf("exit %d with MODELWARD_FAIL_ON=low and a low finding", got)
	}
	// The flag wins over the environment.
	if got, _ := runOut(t, "scan", "--fail-on", "high", dir); got != exitOK {
		t.Errorf("exit %d: --fail-on did not override MODELWARD_FAIL_ON", got)
	}
}

func TestJSONReportValidates(t *testing.T) {
	code, out := runOut(t, "scan", "--format", "json", clean, malicious)
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(report.JSONSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("scan-report.schema.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("scan-report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("JSON report does not validate: %v", err)
	}
	var rep struct {
		Files []struct {
			Path     string `json:"path"`
			Verdict  string `json:"verdict"`
			Findings []struct {
				Rule string `json:"rule"`
			} `json:"findings"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]string{}
	for _, f := range rep.Files {
		verdicts[filepath.Base(filepath.Dir(f.Path))+"/"+filepath.Base(f.Path)] = f.Verdict
	}
	if verdicts["malicious-model/pytorch_model.bin"] != "malicious" || verdicts["clean-model/pytorch_model.bin"] != "clean" || verdicts["clean-model/classifier.joblib"] != "clean" {
		t.Errorf("verdicts: %v", verdicts)
	}
}

func TestSARIFReportValidates(t *testing.T) {
	_, out := runOut(t, "scan", "--format", "sarif", malicious)
	schemaFile, err := os.Open("../../report/testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer schemaFile.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("SARIF does not validate: %v", err)
	}
	if !strings.Contains(out, `"ruleId": "MW101"`) {
		t.Error("SARIF lacks the critical MW101 result")
	}
}

func TestPolicyShowRoundTrips(t *testing.T) {
	code, out := runOut(t, "policy", "show")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	p, err := policy.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("policy show output does not parse back: %v", err)
	}
	if len(p.Allow) < len(policy.Default().Allow) {
		t.Error("policy show lost allow entries")
	}
}

func TestPolicyValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("fail_on: high\nallow: [\"mypkg:Model\"]\n"), 0o644)
	os.WriteFile(bad, []byte("fail_on: high\nlimitz: {}\n"), 0o644)
	if code, _ := runOut(t, "policy", "validate", good); code != exitOK {
		t.Errorf("valid policy: exit %d", code)
	}
	if code, _ := runOut(t, "policy", "validate", bad); code != exitError {
		t.Errorf("invalid policy: exit %d", code)
	}
}

// TestErrorsAreSafeForTerminals: a path with terminal escapes in an error
// message is printed escaped, so it cannot retitle or rewrite the screen.
func TestErrorsAreSafeForTerminals(t *testing.T) {
	var out, errOut bytes.Buffer
	run([]string{"scan", "/nonexistent/\x1b]0;OWNED\x07\x1b[2K.pkl"}, &out, &errOut)
	if strings.ContainsRune(errOut.String(), 0x1b) || !strings.Contains(errOut.String(), `\x1b`) {
		t.Errorf("stderr = %q", errOut.String())
	}
}
