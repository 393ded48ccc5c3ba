package onnx

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/modelward/modelward/finding"
)

// text reads a doc string or metadata value (at most maxText bytes) and
// checks it. A longer value is checked as far as it was read, and the
// limit is reported: the rest was not inspected.
func (w *walker) text(where string, f field) {
	w.textRead += min(f.n, maxText)
	if w.textRead > maxTextTotal {
		w.limit(f.at, "the model's doc strings and metadata exceed %d bytes in all; the rest was not inspected", maxTextTotal)
		return
	}
	s := w.str(f, maxText)
	if f.n > maxText {
		w.rep.emit(finding.LimitReached, finding.High, where, f.at, finding.Evidence{},
			"a text of %d bytes at %s exceeds the %d-byte limit; only its start was inspected", f.n, where, maxText)
	}
	w.checkText(where, f, s)
}

// checkText reports executables and template or code injection in a text
// value: ONNX text fields are documentation and labels, and tools such as
// model viewers and hub pages render them.
func (w *walker) checkText(where string, f field, s string) {
	if kind := executable([]byte(s)); kind != "" {
		w.rep.emit(finding.PickleExecutable, finding.High, where, f.off, finding.Evidence{Detail: kind},
			"%s holds %s: model metadata is text, and an executable image in it is a payload waiting for a loader or tool to write it out", where, kind)
	}
	if what := injection(s); what != "" {
		w.rep.emit(finding.MetadataInjection, finding.High, where, f.off, finding.Evidence{Detail: preview(s)},
			"%s carries %s, which a tool rendering or evaluating model metadata would run", where, what)
	}
}

// checkMagic checks the start of an attribute string for an executable
// image; attribute strings are otherwise operator parameters, not text.
func (w *walker) checkMagic(where string, f field) {
	b, err := w.src.read(f.off, f.n, magicLen)
	if err != nil {
		w.ioFail(err)
		return
	}
	if kind := executable(b); kind != "" {
		w.rep.emit(finding.PickleExecutable, finding.High, where, f.off, finding.Evidence{Detail: kind},
			"attribute string %s holds %s: operator parameters are numbers and short labels, not programs", where, kind)
	}
}

// executable names the executable format b starts with, or "". Magic
// numbers: ELF (System V ABI), PE (Microsoft PE/COFF: "MZ" and the "PE\0\0"
// signature at the offset stored at 0x3c), Mach-O (mach-o/loader.h, both
// byte orders, and the fat header), "#!" scripts, and the base64 spellings
// of the ELF, DOS-stub and "#!/" starts.
func executable(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return "an ELF executable"
	case isPE(b):
		return "a Windows PE executable"
	case len(b) >= 4 && machO[binary.BigEndian.Uint32(b)]:
		return "a Mach-O executable"
	case bytes.HasPrefix(b, []byte("#!/")) || bytes.HasPrefix(b, []byte("#! /")):
		return "a script with a #! interpreter line"
	case bytes.HasPrefix(b, []byte("f0VMR")):
		return "a base64-encoded ELF executable"
	case bytes.HasPrefix(b, []byte("TVqQAAMAAAAEAAAA")):
		return "a base64-encoded Windows executable"
	case bytes.HasPrefix(b, []byte("IyEv")):
		return "a base64-encoded #! script"
	}
	return ""
}

var machO = map[uint32]bool{0xfeedface: true, 0xfeedfacf: true, 0xcefaedfe: true, 0xcffaedfe: true, 0xcafebabe: true}

func isPE(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("MZ")) {
		return false
	}
	if bytes.HasPrefix(b, []byte("MZ\x90\x00\x03\x00")) {
		return true // the DOS header every linker writes
	}
	if len(b) < 0x40 {
		return false
	}
	pe := int64(binary.LittleEndian.Uint32(b[0x3c:]))
	return pe+4 <= int64(len(b)) && string(b[pe:pe+4]) == "PE\x00\x00"
}

// Template gadgets: a Jinja expression reaching these escapes the sandbox.
var gadgets = []string{"__class__", "__globals__", "__subclasses__", "__builtins__", "__mro__", "__init__",
	"__import__", "cycler", "joiner", "lipsum", "namespace", "os.popen", "os.system", "subprocess"}

// Code that has no business in documentation even outside a template.
var code = []string{"__import__(", "os.system(", "os.popen(", "subprocess.popen(", "subprocess.run(",
	"subprocess.call(", "subprocess.check_output(", "<script"}

// injection describes template or code injection in s, or returns "".
func injection(s string) string {
	l := strings.ToLower(s)
	if strings.Contains(l, "{{") || strings.Contains(l, "{%") {
		for _, g := range gadgets {
			if strings.Contains(l, g) {
				return "a template expression reaching " + g
			}
		}
	}
	for _, c := range code {
		if strings.Contains(l, c) {
			return "code calling " + strings.TrimSuffix(c, "(")
		}
	}
	return ""
}

func preview(s string) string {
	const max = 120
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
