package tensorflow

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

func TestBenignFixturesHaveNoMediumFindings(t *testing.T) {
	files, err := filepath.Glob("testdata/benign/*")
	if err != nil || len(files) < 4 {
		t.Fatalf("benign fixtures missing: %v %v", files, err)
	}
	for _, path := range files {
		_, fs := scanFile(t, path)
		if bad := atLeast(fs, finding.Medium); len(bad) > 0 {
			t.Errorf("%s: %s", path, describe(bad))
		}
	}
}

func TestBenignSavedModelIsWalkedCompletely(t *testing.T) {
	res, _ := scanFile(t, "testdata/benign/saved_model.pb")
	// The Keras saver subgraph lives in library functions; seeing its ops
	// proves function bodies are walked, not just the main graph.
	for _, op := range []string{"VarHandleOp", "StatefulPartitionedCall", "ReadVariableOp", "MatMul",
		"BiasAdd", "Relu", "Softmax", "SaveV2", "RestoreV2", "MergeV2Checkpoints", "ShardedFilename", "StringJoin"} {
		if res.Ops[op] == 0 {
			t.Errorf("op %s not counted; histogram %v", op, res.Ops)
		}
	}
}

func TestKerasMetadataReturnsDocuments(t *testing.T) {
	res, fs := scanFile(t, "testdata/benign/keras_metadata.pb")
	if len(fs) != 0 {
		t.Errorf("unexpected findings: %s", describe(fs))
	}
	if len(res.KerasMetadata) != 2 {
		t.Fatalf("got %d documents, want 2", len(res.KerasMetadata))
	}
	var classes []string
	for _, doc := range res.KerasMetadata {
		var v struct {
			ClassName string `json:"class_name"`
		}
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatalf("document is not JSON: %v", err)
		}
		classes = append(classes, v.ClassName)
	}
	if !slices.Equal(classes, []string{"Sequential", "Dense"}) {
		t.Errorf("classes %v", classes)
	}
}

func TestTFLiteOpsCounted(t *testing.T) {
	res, _ := scanFile(t, "testdata/benign/model.tflite")
	if res.Ops["FULLY_CONNECTED"] != 1 || res.Ops["SOFTMAX"] != 1 || len(res.Ops) != 2 {
		t.Errorf("ops %v", res.Ops)
	}
}

// expect is one finding a malicious fixture must produce.
type expect struct {
	rule   string
	sev    finding.Severity
	member string // substring of the member path
	arg    string // an Evidence.Args entry, if any
}

func TestMaliciousFixtures(t *testing.T) {
	cases := map[string][]expect{
		"readfile_graph.pb":       {{finding.GraphUnsafeOp, finding.High, "graph!/node ReadFile", "/etc/passwd"}},
		"writefile_function.pb":   {{finding.GraphUnsafeOp, finding.High, "function __inference_write_2001!/node WriteFile", "/tmp/.cache/update.sh"}},
		"pyfunc.pb":               {{finding.GraphUnsafeOp, finding.Critical, "graph!/node PyFunc", ""}},
		"eagerpyfunc_function.pb": {{finding.GraphUnsafeOp, finding.Critical, "function __inference_py_2002!/node EagerPyFunc", ""}},
		"savev2_traversal.pb":     {{finding.GraphUnsafeOp, finding.High, "node save/SaveV2", "../../../tmp/x"}},
		"matchingfiles.pb":        {{finding.GraphUnsafeOp, finding.High, "node MatchingFiles", "/home/*/.ssh/id_*"}},
		"custom_op.pb":            {{finding.CustomOperator, finding.Medium, "function __inference_custom_2003!/node Exec", ""}},
		// Paths built at run time from constants (red-team evasions).
		"table_b64.pb":     {{finding.GraphUnsafeOp, finding.High, "graph!/node table/init", "/etc/passwd"}},
		"table_join.pb":    {{finding.GraphUnsafeOp, finding.High, "graph!/node table/init", "/etc/passwd"}},
		"table_deep.pb":    {{finding.GraphUnsafeOp, finding.High, "graph!/node table/init", "/etc/passwd"}},
		"table_funcarg.pb": {{finding.GraphUnsafeOp, finding.High, "function __inference_init_fn_3001!/node table/init", "/etc/passwd"}},
		"table_callret.pb": {{finding.GraphUnsafeOp, finding.High, "graph!/node table/init", "../../../../home/user/.ssh/id_rsa"}},
		"table_format.pb":  {{finding.GraphUnsafeOp, finding.High, "graph!/node table/init", ""}},
		// File and network ops missing from the lists before.
		"dataset_file_ops.pb": {
			{finding.GraphUnsafeOp, finding.High, "node files/MatchingFilesDataset", "/home/*/.ssh/*"},
			{finding.GraphUnsafeOp, finding.High, "node files/SnapshotChunkDataset", "/etc/passwd"},
			{finding.GraphUnsafeOp, finding.High, "node files/FileSystemSetConfiguration", "GCS_READ_CACHE_MAX_SIZE_MB"},
			{finding.GraphUnsafeOp, finding.High, "node files/DistributedSave", "/tmp/exfil"}},
		"truncated.pb": {{finding.StructureInvalid, finding.High, "", ""}},
		"corrupt.pb": {
			{finding.StructureInvalid, finding.High, "", ""},
			{finding.GraphUnsafeOp, finding.Critical, "node PyFunc", ""}},
		"wrong_wiretype.pb": {
			{finding.StructureInvalid, finding.High, "", ""},
			{finding.GraphUnsafeOp, finding.Critical, "node PyFunc", ""}},
		"flex_custom.tflite": {
			{finding.GraphUnsafeOp, finding.High, "operator_codes[2]", ""},
			{finding.CustomOperator, finding.Medium, "operator_codes[3]", ""}},
		"buffer_oob.tflite": {{finding.StructureInvalid, finding.High, "buffers", ""}},
		"truncated.tflite": {
			{finding.StructureInvalid, finding.High, "subgraphs", ""},
			{finding.StructureInvalid, finding.High, "buffers", ""}},
	}
	files, _ := filepath.Glob("testdata/malicious/*")
	if len(files) != len(cases) {
		t.Errorf("%d malicious fixtures, %d cases: every fixture needs expectations", len(files), len(cases))
	}
	for name, want := range cases {
		_, fs := scanFile(t, filepath.Join("testdata/malicious", name))
		for _, w := range want {
			if !hasFinding(fs, w) {
				t.Errorf("%s: no %s/%s at %q with arg %q in:%s", name, w.rule, w.sev, w.member, w.arg, describe(fs))
			}
		}
		if len(fs) != len(want) {
			t.Errorf("%s: %d findings, want %d:%s", name, len(fs), len(want), describe(fs))
		}
	}
}

func hasFinding(fs []finding.Finding, w expect) bool {
	for _, f := range fs {
		if f.Rule == w.rule && f.Severity == w.sev && strings.Contains(f.Location.MemberPath(), w.member) &&
			(w.arg == "" || slices.Contains(f.Evidence.Args, w.arg)) {
			return f.Location.Member[0] == "model" // the caller's members come first
		}
	}
	return false
}

func TestKindAndIdentifier(t *testing.T) {
	for name, want := range map[string]string{
		"m/saved_model.pb": "saved_model", `C:\m\keras_metadata.pb`: "keras_metadata",
		"fingerprint.pb": "fingerprint", "saved_model.pbtxt": "", "model.tflite": "",
	} {
		if got := Kind(name); got != want {
			t.Errorf("Kind(%q) = %q, want %q", name, got, want)
		}
	}
	if !IsTFLite([]byte("\x1c\x00\x00\x00TFL3")) || IsTFLite([]byte("\x1c\x00\x00\x00TFL2")) || IsTFLite([]byte("TFL3")) {
		t.Error("IsTFLite misjudges the identifier")
	}
}

func TestEscapesModel(t *testing.T) {
	for s, want := range map[string]bool{
		"/etc/passwd": true, "../../x": true, `..\..\x`: true, "a/../../b": true, `\\host\share`: true,
		`C:\Windows`: true, "file:///tmp/x": true, "gs://bucket/ckpt": true,
		"variables/variables": false, "_temp/part": false, ".part": false, "a..b": false, "": false,
	} {
		if got := escapesModel(s); got != want {
			t.Errorf("escapesModel(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDecodeStringList(t *testing.T) {
	got := decodeStringList([]byte("\x00\x03\x02abcxy"))
	if !slices.Equal(got, []string{"", "abc", "xy"}) {
		t.Errorf("got %q", got)
	}
	if decodeStringList([]byte("\x09abc")) != nil {
		t.Error("a length past the end must decode to nothing")
	}
}
