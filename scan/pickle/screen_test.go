package pickle

import (
	"os"
	"path/filepath"
	"testing"
)

// checkScreen enforces the screen's promise on one input: when it calls a
// stream clean, the full machine finds nothing and completes.
func checkScreen(t *testing.T, name string, b []byte) bool {
	t.Helper()
	clean, _, _ := screenClean(b, pol, LimitsFrom(pol.Limits))
	if !clean {
		return false
	}
	fs, res := classify(Config{Policy: pol}, func(opt Options) *Result { return AnalyzeBytes(b, opt) })
	if len(fs) != 0 || !res.Complete {
		t.Errorf("%s: the screen called it clean, the machine found %+v (complete %v)", name, fs, res.Complete)
	}
	return true
}

// Every real and crafted pickle the project has, benign and malicious.
func TestScreenAgreesWithMachine(t *testing.T) {
	var files []string
	for _, pat := range []string{"../../testdata/corpus/*/*/*", "../../../shared/corpora/picklescan/data*/*", "../testdata/redteam/*"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	screened := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || len(b) > 16<<20 {
			continue
		}
		if checkScreen(t, f, b) {
			screened++
		}
	}
	if len(files) > 0 && screened == 0 {
		t.Error("the screen cleared nothing: the test proves nothing")
	}
	// The crafted bypass streams must all go to the full machine.
	for name, p := range map[string][]byte{
		"state dict": stateDict(100),
		"list":       list2M()[:0],
	} {
		checkScreen(t, name, p)
	}
	if ok, _, _ := screenClean(stateDict(100), pol, LimitsFrom(pol.Limits)); !ok {
		t.Error("a plain state dict did not pass the screen")
	}
}

func FuzzScreen(f *testing.F) {
	fuzzSeeds(f)
	f.Add(stateDict(3))
	f.Fuzz(func(t *testing.T, b []byte) { checkScreen(t, "input", b) })
}
