package report

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
)

// safe makes a string from a scanned file fit to print on a terminal.
// Import names, call arguments, member names and even file paths come from
// hostile input: a raw ESC could rewrite the screen, a newline could forge a
// clean-looking line, a bidi override could reorder what people read. Every
// rune that is not graphic (control, format, invalid UTF-8) is written as a
// Go-style escape; printable non-ASCII text such as "模型" is kept.
// Backslashes are left alone: a pickle's own reprs are full of them, and
// the aim is a safe terminal, not a reversible encoding.
func safe(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsGraphic(r): // excludes Cc and Cf (bidi controls)
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += n
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII, the common case, so safe
// can return it without allocating.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// size renders a byte count in binary units, one decimal place.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// duration renders wall time in ASCII (time.Duration.String uses "µs").
func duration(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// ANSI SGR sequences. Only these ever reach the output, and only with
// Options.Color.
const (
	sgrReset   = "\x1b[0m"
	sgrBold    = "\x1b[1m"
	sgrDim     = "\x1b[2m"
	sgrBoldRed = "\x1b[1;31m"
	sgrRed     = "\x1b[31m"
	sgrGreen   = "\x1b[32m"
	sgrYellow  = "\x1b[33m"
	sgrBlue    = "\x1b[34m"
	sgrMagenta = "\x1b[35m"
)

var severityColor = map[finding.Severity]string{
	finding.Critical: sgrBoldRed,
	finding.High:     sgrRed,
	finding.Medium:   sgrYellow,
	finding.Low:      sgrBlue,
	finding.Info:     sgrDim,
}

var verdictColor = map[scan.Verdict]string{
	scan.Malicious:    sgrBoldRed,
	scan.Suspicious:   sgrYellow,
	scan.NotInspected: sgrMagenta,
	scan.Failed:       sgrRed,
	scan.Unrecognised: sgrDim,
	scan.Clean:        sgrGreen,
}

// paint wraps s in an SGR sequence when colour is on.
func (o Options) paint(sgr, s string) string {
	if !o.Color || sgr == "" {
		return s
	}
	return sgr + s + sgrReset
}

// pad right-pads s with spaces to width runes. Padding is computed on the
// plain text so colour codes never skew the columns.
func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// Terminal makes a message that may carry hostile text (paths, member and
// hub file names) safe to print to a terminal, as the text report does
// with everything it prints.
func Terminal(s string) string { return safe(s) }
