package scan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/policy"
)

// payload is a protocol 2 pickle calling os.system("id").
var payload = []byte("\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.")

func scanBytes(t *testing.T, name string, b []byte, pol *policy.Policy) FileResult {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return New(Options{Policy: pol}).ScanFile(context.Background(), p)
}

func tarOf(t *testing.T, members map[string][]byte, order ...string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range order {
		b := members[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.Close()
	return buf.Bytes()
}

func zipOf(t *testing.T, members map[string][]byte, order ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range order {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(members[name])
	}
	zw.Close()
	return buf.Bytes()
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func wantMalicious(t *testing.T, fr FileResult, member string) {
	t.Helper()
	if fr.Verdict != Malicious {
		t.Fatalf("verdict %s, want malicious: %s", fr.Verdict, summarise(fr))
	}
	for _, f := range fr.Findings {
		if f.Rule == finding.PickleDangerous && f.Location.MemberPath() == member {
			return
		}
	}
	t.Errorf("no critical finding at member %q: %s", member, summarise(fr))
}

// The oldest PyTorch format: a tar with sys_info, pickle, storages and
// tensors members, written here as torch/serialization.py describes it.
func TestTorchTarFormat(t *testing.T) {
	sysInfo := []byte("\x80\x02}q\x00(X\x10\x00\x00\x00protocol_versionq\x01M\xe9\x03u.")
	storages := append([]byte("\x80\x02K\x00."), 0x01, 0x02, 0x03)
	members := map[string][]byte{"sys_info": sysInfo, "pickle": payload, "storages": storages, "tensors": []byte("\x80\x02K\x00.")}
	fr := scanBytes(t, "model.tar", tarOf(t, members, "sys_info", "pickle", "storages", "tensors"), nil)
	if fr.Format != "pytorch-tar" {
		t.Errorf("format %q", fr.Format)
	}
	wantMalicious(t, fr, "pickle")
}

// Containers inside containers: a gzip of a tar of a zip holding the payload.
func TestNestedContainers(t *testing.T) {
	inner := zipOf(t, map[string][]byte{"archive/data.pkl": payload}, "archive/data.pkl")
	outer := gz(tarOf(t, map[string][]byte{"model.pt": inner}, "model.pt"))
	fr := scanBytes(t, "bundle.tgz", outer, nil)
	wantMalicious(t, fr, "model.pt!/archive/data.pkl")
}

// The nesting limit is a finding, never a crash or a silent pass.
func TestNestingLimit(t *testing.T) {
	b := zipOf(t, map[string][]byte{"archive/data.pkl": payload}, "archive/data.pkl")
	for i := 0; i < 4; i++ {
		b = zipOf(t, map[string][]byte{"inner.zip": b}, "inner.zip")
	}
	pol := policy.Default()
	pol.Limits.MaxNesting = 2
	fr := scanBytes(t, "deep.zip", b, pol)
	if fr.Verdict != NotInspected || !hasRule(fr.Findings, finding.LimitReached) {
		t.Errorf("verdict %s: %s", fr.Verdict, summarise(fr))
	}
}

// A decompression bomb stops at the limit with a finding.
func TestDecompressionBomb(t *testing.T) {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write([]byte("\x80\x02]q\x00(")) // an open list, then a sea of zeros' worth of BININT1 0
	chunk := bytes.Repeat([]byte{'K', 0}, 1<<20)
	for i := 0; i < 64; i++ {
		w.Write(chunk)
	}
	w.Close()
	pol := policy.Default()
	pol.Limits.MaxDecompressedBytes = 8 << 20
	fr := scanBytes(t, "bomb.joblib", buf.Bytes(), pol)
	if fr.Verdict != NotInspected || !hasRule(fr.Findings, finding.LimitReached) {
		t.Errorf("verdict %s: %s", fr.Verdict, summarise(fr))
	}
}

// A pickle stored as a tensor member of a PyTorch zip is still scanned:
// every member that is a pickle counts, whatever its name.
func TestPickleUnderAnyMemberName(t *testing.T) {
	b := zipOf(t, map[string][]byte{"archive/data.pkl": []byte("\x80\x02}q\x00."), "archive/data/0": payload, "archive/version": []byte("3\n")},
		"archive/data.pkl", "archive/data/0", "archive/version")
	fr := scanBytes(t, "model.pt", b, nil)
	wantMalicious(t, fr, "archive/data/0")
}

// Raw tensor bytes that happen to start like a pickle or a zlib stream are
// data, not findings.
func TestRawTensorBytesAreNotFindings(t *testing.T) {
	members := map[string][]byte{
		"archive/data.pkl": []byte("\x80\x02}q\x00."),
		"archive/data/0":   append([]byte{0x80, 0x02, 0xde, 0xad, 0xbe, 0xef}, make([]byte, 4096)...),
		"archive/data/1":   append([]byte{0x78, 0x9c, 0x01, 0x02, 0x03}, make([]byte, 4096)...),
		"archive/data/2":   append([]byte("cfoo bar\n"), make([]byte, 100)...),
	}
	fr := scanBytes(t, "model.pt", zipOf(t, members, "archive/data.pkl", "archive/data/0", "archive/data/1", "archive/data/2"), nil)
	if fr.Verdict != Clean {
		t.Errorf("verdict %s: %s", fr.Verdict, summarise(fr))
	}
}

// A file that is not a model is listed as unrecognised, never as clean.
func TestUnrecognisedIsNotClean(t *testing.T) {
	fr := scanBytes(t, "model.pt", []byte("\x89PNG\r\n\x1a\n not a model"), nil)
	if fr.Verdict != Unrecognised || !hasRule(fr.Findings, finding.FormatMismatch) {
		t.Errorf("verdict %s: %s", fr.Verdict, summarise(fr))
	}
	fr = scanBytes(t, "empty.bin", nil, nil)
	if fr.Verdict != Unrecognised {
		t.Errorf("empty file: verdict %s", fr.Verdict)
	}
}

// A protocol 0 pickle whose payload comes after a long benign prefix is
// still recognised and scanned.
func TestLongTextPickleIsRecognised(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("(lp0\n")
	for i := 0; i < 3000; i++ {
		b.WriteString("I1\naI2\na")
	}
	b.WriteString("cos\nsystem\n(S'id'\ntR.")
	fr := scanBytes(t, "data.pkl", b.Bytes(), nil)
	if fr.Verdict != Malicious {
		t.Errorf("verdict %s: %s", fr.Verdict, summarise(fr))
	}
}

func TestDeterministicOrderAndWorkers(t *testing.T) {
	dir := t.TempDir()
	for i, b := range [][]byte{payload, []byte("\x80\x02N."), []byte("text")} {
		os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".pkl"), b, 0o644)
	}
	for _, workers := range []int{1, 2, 8} {
		rep, err := New(Options{Workers: workers}).Scan(context.Background(), []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		got := []Verdict{rep.Files[0].Verdict, rep.Files[1].Verdict, rep.Files[2].Verdict}
		if got[0] != Malicious || got[1] != Clean || got[2] != Unrecognised {
			t.Errorf("workers=%d: verdicts %v", workers, got)
		}
	}
}

// A benign pickle with a zip appended: pickle.load reads the pickle,
// zipfile and torch's zip reader find the archive by its end record.
func TestPickleZipPolyglot(t *testing.T) {
	benign := []byte("\x80\x02}q\x00.")
	b := append(benign, zipOf(t, map[string][]byte{"archive/data.pkl": payload}, "archive/data.pkl")...)
	fr := scanBytes(t, "model.pt", b, nil)
	if !hasRule(fr.Findings, finding.Polyglot) {
		t.Errorf("no polyglot finding: %s", summarise(fr))
	}
	wantMalicious(t, fr, "<as zip>!/archive/data.pkl")
}
