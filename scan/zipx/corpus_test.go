package zipx

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// sharedCorpus is the picklescan corpus on a development machine; a fresh
// clone has only the copies under testdata/picklescan.
const sharedCorpus = "../../../shared/corpora/picklescan"

// corpusCase says what a corpus file must yield.
type corpusCase struct {
	file string
	// pickle: some member must read as a pickle (first byte 0x80).
	// encrypted: some member must fail with ErrEncrypted.
	// notZip: Open must fail with ErrNotZip.
	want    string
	anomaly AnomalyKind
}

var corpusCases = []corpusCase{
	{file: "data/malicious1.zip", want: "pickle"},
	{file: "data/malicious1_0x1.zip", want: "pickle", anomaly: KindEncryptedButPlain},
	{file: "data/malicious1_0x20.zip", want: "pickle", anomaly: KindFlagBits},
	{file: "data/malicious1_0x40.zip", want: "pickle", anomaly: KindEncryptedButPlain},
	{file: "data/malicious1_central_directory.zip", want: "pickle", anomaly: KindNameMismatch},
	{file: "data/malicious1_wrong_ext.zip", want: "pickle"},
	{file: "data2/malicious1_crc.zip", want: "pickle", anomaly: KindBadCRC},
	{file: "data/benign_password_protected.zip", want: "encrypted"},
	{file: "data/new_pytorch_model.bin", want: "pickle"},
	{file: "data/pytorch_model.bin", want: "notZip"}, // the legacy, pre-zip torch format
}

func TestSharedCorpus(t *testing.T) {
	if _, err := os.Stat(sharedCorpus); err != nil {
		t.Skip("picklescan corpus not present")
	}
	for _, c := range corpusCases {
		t.Run(c.file, func(t *testing.T) { checkCorpusFile(t, filepath.Join(sharedCorpus, c.file), c) })
	}
}

// TestCorpusCopies runs the same checks on the copies kept in testdata.
func TestCorpusCopies(t *testing.T) {
	for _, c := range corpusCases {
		p := filepath.Join("testdata/picklescan", filepath.Base(c.file))
		if _, err := os.Stat(p); err != nil {
			continue
		}
		t.Run(c.file, func(t *testing.T) { checkCorpusFile(t, p, c) })
	}
}

func checkCorpusFile(t *testing.T, path string, c corpusCase) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(f, st.Size(), Limits{})
	if c.want == "notZip" {
		wantErr(t, err, ErrNotZip)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	pickles, encrypted := 0, 0
	for i := range a.Entries {
		b, err := readEntry(a, &a.Entries[i])
		switch {
		case errors.Is(err, ErrEncrypted):
			encrypted++
		case err != nil:
			t.Errorf("%s: %v", a.Entries[i].Name, err)
		case bytes.HasPrefix(b, []byte{0x80}):
			pickles++
		}
	}
	if c.want == "pickle" && pickles == 0 {
		t.Errorf("no member reads as a pickle; entries %+v, anomalies %v", a.Entries, a.Anomalies())
	}
	if c.want == "encrypted" && encrypted == 0 {
		t.Errorf("no member reported as encrypted")
	}
	if c.anomaly != "" {
		wantAnomaly(t, a, c.anomaly)
	}
	t.Logf("%d members, anomalies %v", len(a.Entries), a.Anomalies())
}
