package scan

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan/pickle"
)

// executable names the program a stream's head announces (ELF, PE,
// Mach-O, a shebang script), or "". Model files have no reason to carry
// programs; an archive member or side file that is one is how a payload
// travels with a model, waiting for a loader, a custom op or a user to run
// it. Raw tensor storage is held to the strict forms only: a short "MZ"
// can start tensor bytes by chance, a full PE header cannot.
func executable(head []byte, ro role) string {
	kind := pickle.Magic(head)
	if kind == "" && ro != roleStorage && farPE(head) {
		kind = "PE executable"
	}
	if !strings.Contains(kind, "executable") && !strings.Contains(kind, "shebang") {
		return ""
	}
	if ro == roleStorage && kind == "PE executable" && !hasPEHeader(head) {
		return ""
	}
	return kind
}

// farPE accepts an MS-DOS header whose e_lfanew points past the head
// read for detection: Windows follows it anywhere in the file. Only whole
// files and members are judged this way; raw tensor bytes are not.
func farPE(b []byte) bool {
	if len(b) < 64 || b[0] != 'M' || b[1] != 'Z' {
		return false
	}
	off := int64(b[60]) | int64(b[61])<<8 | int64(b[62])<<16 | int64(b[63])<<24
	return off >= int64(len(b)) && off < 1<<28
}

func hasPEHeader(b []byte) bool {
	if len(b) < 64 {
		return false
	}
	off := int(b[60]) | int(b[61])<<8 | int(b[62])<<16 | int(b[63])<<24
	return off > 0 && off+4 <= len(b) && bytes.Equal(b[off:off+4], []byte("PE\x00\x00"))
}

// reportExecutable reports a program found where model content belongs.
// A script standing on its own in a model folder (a conversion helper) is
// medium; a binary anywhere, or a script inside a model file, is high.
func (j *job) reportExecutable(member []string, kind string, ro role) {
	where := "the file"
	if len(member) > 0 {
		where = fmt.Sprintf("member %q", member[len(member)-1])
	}
	f := finding.New(finding.PickleExecutable, j.loc(member, 0),
		fmt.Sprintf("%s is a %s: programs have no place in a model and travel with it to run later", where, kind),
		finding.Evidence{Detail: kind})
	if ro == roleFile && strings.Contains(kind, "shebang") {
		f.Severity = finding.Medium
	}
	j.add(f)
}
