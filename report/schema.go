package report

import (
	"bytes"
	_ "embed"
)

//go:embed schema/scan-report.schema.json
var jsonSchema []byte

// JSONSchema returns the JSON Schema (draft 2020-12) of the JSON report at
// SchemaVersion, so programs and `modelward` itself can publish or check
// it. The caller gets a copy and may change it.
func JSONSchema() []byte { return bytes.Clone(jsonSchema) }
