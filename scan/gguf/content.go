package gguf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan/jinja"
)

// content checks a top-level string value: chat templates and other
// Jinja-looking strings through package jinja, executables by magic.
func (c *checker) content(key, s string, off int64) {
	if isTemplateKey(key) || strings.Contains(s, "{%") || strings.Contains(s, "{{") {
		for _, f := range jinja.Findings(s, c.cfg.Location, key, off) {
			c.add(f)
		}
	}
	if kind := executable([]byte(s)); kind != "" {
		c.executableFinding(key, off, kind)
	}
}

func isTemplateKey(key string) bool {
	return key == "tokenizer.chat_template" || strings.HasPrefix(key, "tokenizer.chat_template.")
}

func (c *checker) executableFinding(key string, off int64, kind string) {
	c.add(finding.New(finding.PickleExecutable, c.loc(key, off),
		fmt.Sprintf("GGUF metadata value %s holds %s; model metadata has no use for executable code, which a dropper can extract and run.", key, kind),
		finding.Evidence{Detail: kind}))
}

func limitFinding(c *checker, key string, off, n int64) finding.Finding {
	return finding.New(finding.LimitReached, c.loc(key, off),
		fmt.Sprintf("GGUF metadata string %s is %d bytes, over the scanner's limit of %d; it was skipped unread.", key, n, c.cfg.MaxStringBytes),
		finding.Evidence{Detail: fmt.Sprintf("length %d", n)})
}

// executable recognises the start of an ELF, PE or Mach-O image or a
// script with a shebang. The checks look past the first bytes so that
// ordinary tokens such as "MZ" or "#!/" are not taken for programs.
func executable(b []byte) string {
	switch {
	case len(b) >= 16 && bytes.HasPrefix(b, []byte("\x7fELF")) && (b[4] == 1 || b[4] == 2) && (b[5] == 1 || b[5] == 2):
		return "an ELF executable"
	case isPE(b):
		return "a Windows PE executable"
	case isMachO(b):
		return "a Mach-O executable"
	case isShebang(b):
		return "a script with a shebang line"
	}
	return ""
}

func isPE(b []byte) bool {
	if len(b) < 0x40 || b[0] != 'M' || b[1] != 'Z' {
		return false
	}
	pe := int64(binary.LittleEndian.Uint32(b[0x3c:]))
	return pe+4 <= int64(len(b)) && string(b[pe:pe+4]) == "PE\x00\x00"
}

func isMachO(b []byte) bool {
	if len(b) < 28 {
		return false
	}
	switch binary.BigEndian.Uint32(b) {
	case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe:
		return true
	}
	return false
}

// isShebang wants "#!/path" (or "#! /path") ended by a newline.
func isShebang(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("#!")) {
		return false
	}
	rest := bytes.TrimLeft(b[2:], " ")
	nl := bytes.IndexByte(rest, '\n')
	if len(rest) == 0 || rest[0] != '/' || nl < 2 || nl > 256 {
		return false
	}
	return bytes.IndexFunc(rest[:nl], func(r rune) bool { return r < 0x20 && r != '\t' }) < 0
}
