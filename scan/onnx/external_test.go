package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

func TestEscapes(t *testing.T) {
	bad := []string{
		"../../../../etc/passwd", "/etc/shadow", `C:\Windows\win.ini`, "c:relative", `\\server\share\w.bin`,
		`\Windows\win.ini`, "//server/share", "file:///etc/passwd", "FILE:weights", "http://evil/w.bin",
		"a/../../b", `a\..\b`, "weights.bin\x00.txt", "... /x", "..",
	}
	for _, loc := range bad {
		if escapes(loc) == "" {
			t.Errorf("%q was not flagged", loc)
		}
	}
	good := []string{"weights.bin", "data/weights.bin", "./w.bin", "model.onnx.data", "w..bin", ".hidden", "weights:v1.bin",
		"console.bin", "com10.bin", "nullable.bin", "LPT.bin", "auxiliary/w.bin", "com.bin", "com1x", "prn_weights.bin"}
	for _, loc := range good {
		if why := escapes(loc); why != "" {
			t.Errorf("%q flagged: %s", loc, why)
		}
		if why := suspicious(loc); why != "" {
			t.Errorf("%q suspicious: %s", loc, why)
		}
	}
}

// Reserved DOS device names open the device in every folder on Windows.
func TestWindowsDevices(t *testing.T) {
	for _, loc := range []string{"CON", "con", "NUL.txt", "nul.tar.gz", "sub/com1.bin", `a\LPT9`, "CON ", "CON.", "aux:stream",
		"COM\u00b9", "lpt\u00b3.bin", "conin$", "CONOUT$.x", "PRN .txt", "COM0", "Lpt0.dat"} {
		if why := escapes(loc); !strings.Contains(why, "Windows device") {
			t.Errorf("%q: %q", loc, why)
		}
	}
	for _, loc := range []string{"CONS", "COM", "COM10", "LPT1x.bin", "NULL", "xCON", "COM\u2074"} {
		if dev := windowsDevice(loc); dev != "" {
			t.Errorf("%q taken for %s", loc, dev)
		}
	}
}

// Home folders, environment variables and percent-encoding are not
// expanded by the loaders, but only a location aiming outside writes them.
func TestSuspiciousLocations(t *testing.T) {
	for _, loc := range []string{"~/x", "~", `~\x`, "~root/.ssh/id_rsa", "$HOME/x", "${HOME}/x", "$(id)/x", "data/$XDG_CONFIG_HOME",
		`%USERPROFILE%\x`, "%ProgramFiles(x86)%/w.bin", "%2e%2e/%2e%2e/etc/passwd", "a%2Fb", "a%5cb", "%252e%252e/x", "w.bin%00.txt"} {
		if escapes(loc) != "" {
			t.Errorf("%q is an escape, not a suspicious location", loc)
		}
		if suspicious(loc) == "" {
			t.Errorf("%q not flagged", loc)
		}
	}
	for _, loc := range []string{"~weights.bin", "w$1.bin", "100%.bin", "a%2", "%", "$", "weights~1.bin", "a%20b.bin"} {
		if why := suspicious(loc); why != "" {
			t.Errorf("%q flagged: %s", loc, why)
		}
	}
}

func TestWindowsDeviceAndSuspiciousFindings(t *testing.T) {
	cases := []struct {
		loc  string
		dir  bool
		want []want
	}{
		{"CON", true, []want{{finding.ExternalDataEscape, finding.Critical}}},
		{"sub/NUL.bin", false, []want{{finding.ExternalDataEscape, finding.Critical}}},
		{"~/.ssh/id_rsa", false, []want{{finding.ExternalDataEscape, finding.High}}},
		{"$HOME/x", true, []want{{finding.ExternalDataEscape, finding.High}, {finding.NotInspected, finding.Medium}}},
		// An escape is critical alone, without the high as well.
		{"../%2e%2e/x", false, []want{{finding.ExternalDataEscape, finding.Critical}}},
	}
	for _, c := range cases {
		b := extModel("location", c.loc, "length", "16")
		dir := ""
		if c.dir {
			dir = writeModel(t, b, nil)
		}
		_, fs := mustCheck(t, b, dir)
		if len(fs) != len(c.want) {
			t.Errorf("%q: %+v", c.loc, fs)
			continue
		}
		for _, w := range c.want {
			if count(fs, w.rule, w.sev) != 1 {
				t.Errorf("%q: no %s %s in %+v", c.loc, w.rule, w.sev, fs)
			}
		}
	}
}

// writeModel writes b as model.onnx in a new folder and returns the folder.
func writeModel(t *testing.T, b []byte, files map[string]int) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, size := range files {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func extModel(kv ...string) []byte {
	return model(graph(initializer(externalTensor("w", []int64{4}, kv...))))
}

func TestExternalSpans(t *testing.T) {
	cases := []struct {
		name string
		kv   []string
		size int
		want []want
	}{
		{"fits", []string{"location", "w.bin", "offset", "16", "length", "16"}, 32, nil},
		{"no length fits", []string{"location", "w.bin", "offset", "0"}, 16, nil},
		{"past end", []string{"location", "w.bin", "offset", "16", "length", "16"}, 20, []want{{finding.StructureInvalid, finding.High}}},
		{"offset past end", []string{"location", "w.bin", "offset", "64"}, 16, []want{{finding.StructureInvalid, finding.High}}},
		{"negative offset", []string{"location", "w.bin", "offset", "-4", "length", "16"}, 32, []want{{finding.StructureInvalid, finding.High}}},
		{"overflow", []string{"location", "w.bin", "offset", "9223372036854775800", "length", "16"}, 32, []want{{finding.StructureInvalid, finding.High}}},
		{"not a number", []string{"location", "w.bin", "length", "0x10"}, 32, []want{{finding.StructureInvalid, finding.High}}},
		{"length lies", []string{"location", "w.bin", "length", "8"}, 32, []want{{finding.StructureInvalid, finding.High}}},
		{"no location", []string{"offset", "0"}, 32, []want{{finding.StructureInvalid, finding.High}}},
		{"missing file", []string{"location", "gone.bin", "length", "16"}, 32, []want{{finding.NotInspected, finding.Medium}}},
		{"escape hidden first", []string{"location", "/etc/passwd", "location", "w.bin", "length", "16"}, 32, []want{{finding.ExternalDataEscape, finding.Critical}}},
	}
	for _, c := range cases {
		b := extModel(c.kv...)
		dir := writeModel(t, b, map[string]int{"w.bin": c.size})
		_, fs := mustCheck(t, b, dir)
		if len(fs) != len(c.want) {
			t.Errorf("%s: %+v", c.name, fs)
			continue
		}
		for _, w := range c.want {
			if count(fs, w.rule, w.sev) != 1 {
				t.Errorf("%s: no %s %s in %+v", c.name, w.rule, w.sev, fs)
			}
		}
	}
}

// Without a folder (inside an archive), files cannot be checked, but
// locations still are.
func TestExternalWithoutDir(t *testing.T) {
	_, fs := mustCheck(t, extModel("location", "gone.bin", "length", "16"), "")
	if len(fs) != 0 {
		t.Errorf("%+v", fs)
	}
	_, fs = mustCheck(t, extModel("location", "../x", "length", "16"), "")
	if count(fs, finding.ExternalDataEscape, finding.Critical) != 1 {
		t.Errorf("%+v", fs)
	}
}

// A Constant's value tensor two subgraphs down is checked like an initializer.
func TestExternalInNestedConstant(t *testing.T) {
	constant := node("Constant", "", tensorAttr("value", externalTensor("k", []int64{1}, "location", "/etc/hostname")))
	b := model(graph(node("If", "", graphAttr("then_branch", node("Loop", "", graphAttr("body", constant))))))
	_, fs := mustCheck(t, b, "")
	if count(fs, finding.ExternalDataEscape, finding.Critical) != 1 || len(fs) != 1 {
		t.Fatalf("%+v", fs)
	}
	if m := fs[0].Location.Member; len(m) != 1 || m[0] != "graph/node[0]/attr:then_branch/node[0]/attr:body/node[0]/attr:value/tensor:k" {
		t.Errorf("location %v", m)
	}
}

func TestExternalSymlinks(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, make([]byte, 64), 0o600); err != nil {
		t.Fatal(err)
	}
	b := extModel("location", "w.bin", "length", "16")
	for name, target := range map[string]string{"to a file": secret, "dangling": filepath.Join(outside, "nothing")} {
		dir := writeModel(t, b, nil)
		if err := os.Symlink(target, filepath.Join(dir, "w.bin")); err != nil {
			t.Skip("no symlinks:", err)
		}
		_, fs := mustCheck(t, b, dir)
		if count(fs, finding.ExternalDataEscape, finding.Critical) != 1 || len(fs) != 1 {
			t.Errorf("%s: %+v", name, fs)
		}
	}
	// A link to a file in the same folder is fine.
	dir := writeModel(t, b, map[string]int{"real.bin": 16})
	if err := os.Symlink("real.bin", filepath.Join(dir, "w.bin")); err != nil {
		t.Fatal(err)
	}
	if _, fs := mustCheck(t, b, dir); len(fs) != 0 {
		t.Errorf("inside link: %+v", fs)
	}
	// A directory is not a data file.
	dir = writeModel(t, b, nil)
	if err := os.Mkdir(filepath.Join(dir, "w.bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, fs := mustCheck(t, b, dir); count(fs, finding.StructureInvalid, finding.High) != 1 {
		t.Errorf("directory: %+v", fs)
	}
}

// The benign external fixture loses its weights: the data was not checked.
func TestMissingWeightsFile(t *testing.T) {
	b, err := os.ReadFile("testdata/benign/external/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	_, fs := mustCheck(t, b, writeModel(t, b, nil))
	if count(fs, finding.NotInspected, finding.Medium) != 1 || len(fs) != 1 {
		t.Errorf("%+v", fs)
	}
}

// TestORTMemoryTag: onnxruntime reads the data of this location from the
// process address in the offset field.
func TestORTMemoryTag(t *testing.T) {
	if escapes("*/_ORT_MEM_ADDR_/*") == "" {
		t.Fatal("the onnxruntime memory tag is not an escape")
	}
}
