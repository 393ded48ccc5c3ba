package scan

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/modelward/modelward/finding"
)

// Bypasses found by red-teaming the scanner (each verified against CPython
// 3.11, torch 1.13 and joblib 1.2 with a harmless payload); the files in
// testdata/redteam are those inputs. Each must now be reported.
func TestRedTeamRegressions(t *testing.T) {
	cases := []struct {
		file string
		want finding.Severity
		rule string
	}{
		// A pickle needs no PROTO: any opcode can come first.
		{"d1_shortbinunicode_start.pkl", finding.Critical, finding.PickleDangerous},
		{"d2_frame_start.pkl", finding.Critical, finding.PickleDangerous},
		// One long string fills the detection window before the import.
		{"d5_bigstring_head.pkl", finding.Critical, finding.PickleDangerous},
		// torch.load unpickles data.pkl whatever its first opcodes are.
		{"z1_torchzip_proto2_bigstr.pt", finding.Critical, finding.PickleDangerous},
		// Python's tarfile (legacy torch.load) reads pre-POSIX V7 headers.
		{"t1_v7tar_storages.pt", finding.Critical, finding.PickleDangerous},
		// SETITEM on a list is list.__setitem__: CPython carries on.
		{"m1_setitem_list.pkl", finding.Critical, finding.PickleDangerous},
		// A class re-exported by an sklearn module is not sklearn's class.
		{"g1_gzipfile_truncate.pkl", finding.Medium, finding.PickleUnknownImport},
		// NumPy ignores elsize for fixed-size types; so must the joblib hook.
		{"j2_elsize_desync.joblib", finding.Medium, finding.PickleUnknownImport},
		// Old joblib wrappers load any path with allow_pickle=True.
		{"j1_ndarraywrapper_sidefile.joblib", finding.High, finding.ExternalLoad},
		// Second round, containers. Python's tarfile reads members of any
		// type that is not a directory, link or device as files.
		{"tar_type_7.pt", finding.Medium, finding.PickleUnknownImport},
		// Legacy torch.load reads every storage's pickle, past the raw bytes.
		{"tar_storages_after_raw.pt", finding.Medium, finding.PickleUnknownImport},
		// A link standing for a member makes torch unpickle another file.
		{"tar_symlink.pt", finding.High, finding.ExternalLoad},
		// tarfile reads the checksum field up to its first NUL.
		{"tar_chknul.pt", finding.Medium, finding.PickleUnknownImport},
		// numpy.load reads a "directory" entry that holds data.
		{"npz_dirmember.npz", finding.Medium, finding.PickleUnknownImport},
		// Python's zipfile finds the central directory by its size, not
		// the offset field.
		{"npz_twodirs.npz", finding.Medium, finding.PickleUnknownImport},
		// joblib reads the ZF length with int(x, 16).
		{"zf_tab.pkl", finding.Medium, finding.PickleUnknownImport},
	}
	s := New(Options{})
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			fr := s.ScanFile(context.Background(), filepath.Join("testdata", "redteam", c.file))
			max, _ := finding.Max(fr.Findings)
			if max < c.want || !hasRule(fr.Findings, c.rule) {
				t.Errorf("max %s, want %s with %s: %s", max, c.want, c.rule, summarise(fr))
			}
		})
	}
}
