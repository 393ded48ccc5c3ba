package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// validateBOM checks out against the CycloneDX 1.6 schema kept in
// bom/testdata (with the SPDX and JSF schemas it references, registered
// under their IDs: nothing is fetched) and decodes it.
func validateBOM(t *testing.T, out []byte) cdxDoc {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, f := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "bom", "testdata", "schema", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+f, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("BOM does not validate: %v", err)
	}
	var d cdxDoc
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

type cdxProp struct{ Name, Value string }

type cdxDoc struct {
	SpecVersion string `json:"specVersion"`
	Metadata    struct {
		Component struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"component"`
		Properties []cdxProp `json:"properties"`
	} `json:"metadata"`
	Components []struct {
		Ref  string `json:"bom-ref"`
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"components"`
	Vulnerabilities []struct {
		ID      string `json:"id"`
		Affects []struct {
			Ref string `json:"ref"`
		} `json:"affects"`
	} `json:"vulnerabilities"`
}

func (d cdxDoc) prop(name string) string {
	for _, p := range d.Metadata.Properties {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

func (d cdxDoc) files() []string {
	var out []string
	for _, c := range d.Components {
		if c.Type == "file" {
			out = append(out, c.Name)
		}
	}
	return out
}

func TestBOMCleanModel(t *testing.T) {
	code, out := runOut(t, "bom", clean)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	d := validateBOM(t, []byte(out))
	if d.SpecVersion != "1.6" || d.Metadata.Component.Type != "machine-learning-model" || d.Metadata.Component.Name != "clean-model" {
		t.Errorf("spec %s, model %+v", d.SpecVersion, d.Metadata.Component)
	}
	entries, err := os.ReadDir(clean)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.files(); len(got) != len(entries) {
		t.Errorf("files %v, folder has %d", got, len(entries))
	}
	if d.prop("modelward:signature:state") != "absent" || d.prop("modelward:scan:performed") != "true" {
		t.Errorf("metadata properties %+v", d.Metadata.Properties)
	}
	if len(d.Vulnerabilities) != 0 {
		t.Errorf("clean model has vulnerabilities %+v", d.Vulnerabilities)
	}
}

func TestBOMMaliciousModel(t *testing.T) {
	code, out := runOut(t, "bom", malicious)
	if code != exitOK {
		t.Fatalf("exit %d: a BOM is written whatever the scan finds", code)
	}
	d := validateBOM(t, []byte(out))
	refs := map[string]bool{}
	for _, c := range d.Components {
		refs[c.Ref] = true
	}
	if len(d.Vulnerabilities) == 0 {
		t.Fatal("no vulnerabilities")
	}
	for _, v := range d.Vulnerabilities {
		if len(v.Affects) != 1 || !refs[v.Affects[0].Ref] || !strings.HasPrefix(v.ID, "MW") {
			t.Errorf("vulnerability %+v", v)
		}
	}
}

// TestBOMSignatureAndOutput: a signature file and an output file inside
// the model are not part of it; the signature is reported present.
func TestBOMSignatureAndOutput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "model")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"model.onnx", "model.gguf"} {
		b, err := os.ReadFile(filepath.Join(clean, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "model.sig"), []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(dir, "bom.cdx.json")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bom", dir, "-o", outFile}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "written to") {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	out, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	d := validateBOM(t, out)
	if got := strings.Join(d.files(), " "); got != "model.gguf model.onnx" {
		t.Errorf("files %q", got)
	}
	if d.prop("modelward:signature:state") != "present-unverified" || d.prop("modelward:signature:bundle") == "" {
		t.Errorf("metadata properties %+v", d.Metadata.Properties)
	}
	// Run again: the previous BOM and the signature are still left out.
	if code := run([]string{"bom", dir, "-o", outFile}, &stdout, &stderr); code != exitOK {
		t.Fatalf("second run: exit %d", code)
	}
	if out, err = os.ReadFile(outFile); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(validateBOM(t, out).files(), " "); got != "model.gguf model.onnx" {
		t.Errorf("second run files %q", got)
	}
	// --signature elsewhere: the default model.sig is now an ordinary file.
	code, stdoutStr := runOut(t, "bom", "--no-scan", "--signature", filepath.Join(t.TempDir(), "none.sig"), dir)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	d = validateBOM(t, []byte(stdoutStr))
	if d.prop("modelward:signature:state") != "absent" || d.prop("modelward:scan:performed") != "false" || len(d.Vulnerabilities) != 0 {
		t.Errorf("metadata properties %+v", d.Metadata.Properties)
	}
}

func TestBOMSingleFileSignature(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.onnx")
	b, err := os.ReadFile(filepath.Join(clean, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(model, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(model+".sig", []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runOut(t, "bom", model)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	d := validateBOM(t, []byte(out))
	if d.prop("modelward:signature:state") != "present-unverified" || strings.Join(d.files(), " ") != "model.onnx" {
		t.Errorf("files %v, properties %+v", d.files(), d.Metadata.Properties)
	}
}

func TestBOMUsage(t *testing.T) {
	for _, args := range [][]string{{"bom"}, {"bom", "does/not/exist"}, {"bom", clean, clean}, {"bom", "--frobnicate", clean}} {
		if code, _ := runOut(t, args...); code != exitError {
			t.Errorf("%v: exit %d, want %d", args, code, exitError)
		}
	}
	code, out := runOut(t, "bom", "--help")
	if code != exitOK || !strings.Contains(out, "modelward bom ./my-model") || !strings.Contains(out, "--no-scan") {
		t.Errorf("help (exit %d):\n%s", code, out)
	}
}

// With trust given, the BOM reports the verified signature and its signer,
// then a mismatch after a change, and an invalid signature under another
// key.
func TestBOMVerifiesSignature(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	if err := os.CopyFS(model, os.DirFS("../../examples/clean-model")); err != nil {
		t.Fatal(err)
	}
	prefix, other := filepath.Join(dir, "k"), filepath.Join(dir, "o")
	for _, p := range []string{prefix, other} {
		if code, _, stderr := runBoth("keygen", "--algorithm", "hybrid-p256-ml-dsa-65", "--output-prefix", p); code != 0 {
			t.Fatalf("keygen: %s", stderr)
		}
	}
	if code, _, stderr := runBoth("sign", "key", model, "--private-key", prefix+".key"); code != 0 {
		t.Fatalf("sign: %s", stderr)
	}
	state := func(key string) cdxDoc {
		t.Helper()
		code, out, stderr := runBoth("bom", "--no-scan", model, "--public-key", key)
		if code != 0 {
			t.Fatalf("bom: exit %d: %s", code, stderr)
		}
		return validateBOM(t, []byte(out))
	}
	d := state(prefix + ".pub")
	if d.prop("modelward:signature:state") != "verified" || d.prop("modelward:signature:method") != "key" || d.prop("modelward:signature:signer") == "" {
		t.Fatalf("verified: %v", d.prop("modelward:signature:state"))
	}
	if d := state(other + ".pub"); d.prop("modelward:signature:state") != "invalid" {
		t.Fatalf("other key: %v", d.prop("modelward:signature:state"))
	}
	entries, _ := os.ReadDir(model)
	victim := ""
	for _, e := range entries {
		if !e.IsDir() && e.Name() != "model.sig" {
			victim = e.Name()
			break
		}
	}
	if err := os.WriteFile(filepath.Join(model, victim), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	d = state(prefix + ".pub")
	if d.prop("modelward:signature:state") != "mismatch" || !strings.Contains(d.prop("modelward:signature:detail"), victim) {
		t.Fatalf("mismatch: %v %v", d.prop("modelward:signature:state"), d.prop("modelward:signature:detail"))
	}
}
