package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schemas are compiled from local files only: each is registered under its
// own ID, so the compiler never reaches for the network. Format assertions
// are on, so "uri" and "uri-reference" values are checked too.
func compileSchema(t *testing.T, doc []byte) *jsonschema.Schema {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	id := schemaID(t, v)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(id, v); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// schemaID reads "$id", or draft-04's "id" (the SARIF schema's).
func schemaID(t *testing.T, v any) string {
	t.Helper()
	m, _ := v.(map[string]any)
	for _, k := range []string{"$id", "id"} {
		if id, ok := m[k].(string); ok {
			return id
		}
	}
	t.Fatal("schema has no $id")
	return ""
}

func validate(t *testing.T, s *jsonschema.Schema, out []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("output does not validate: %v\n%s", err, out)
	}
}

func readFile(t *testing.T, path ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(path...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestJSONSchemaEmbedded(t *testing.T) {
	onDisk := readFile(t, "schema", "scan-report.schema.json")
	got := JSONSchema()
	if !bytes.Equal(got, onDisk) {
		t.Error("JSONSchema() differs from schema/scan-report.schema.json")
	}
	got[0] = 'x'
	if !bytes.Equal(JSONSchema(), onDisk) {
		t.Error("JSONSchema() hands out the embedded bytes themselves")
	}
	compileSchema(t, onDisk)
}
