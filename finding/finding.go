package finding

import (
	"fmt"
	"sort"
	"strings"
)

// Location says where a finding was seen. Member is the chain of archive
// members leading to the inspected stream, outermost first (for example
// ["model.7z", "archive/data.pkl"] is rendered "model.7z!/archive/data.pkl").
type Location struct {
	Path   string   `json:"path"`
	Member []string `json:"member,omitempty"`
	// Offset is the byte offset inside the innermost stream (the opcode of a
	// pickle, the header of a member), or -1 when it is not meaningful.
	Offset int64 `json:"offset"`
}

// MemberPath renders the member chain as a single string.
func (l Location) MemberPath() string { return strings.Join(l.Member, "!/") }

// String renders path, member chain and offset for people.
func (l Location) String() string {
	var b strings.Builder
	b.WriteString(l.Path)
	for _, m := range l.Member {
		b.WriteString("!/")
		b.WriteString(m)
	}
	if l.Offset >= 0 {
		fmt.Fprintf(&b, "@%d", l.Offset)
	}
	return b.String()
}

// Evidence is what the analyser saw: the import, the call and its arguments
// as far as they can be known without running anything.
type Evidence struct {
	Import string   `json:"import,omitempty"` // "module.qualname" as resolved
	Call   string   `json:"call,omitempty"`   // a rendering of the call with static arguments
	Args   []string `json:"args,omitempty"`
	Detail string   `json:"detail,omitempty"`
}

// Finding is one result of one rule at one place.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Location Location `json:"location"`
	Message  string   `json:"message"`
	Evidence Evidence `json:"evidence"`
}

// Sort orders findings by severity (highest first), then location, then rule,
// so every renderer prints the same order for the same input.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Location.Path != b.Location.Path {
			return a.Location.Path < b.Location.Path
		}
		if am, bm := a.Location.MemberPath(), b.Location.MemberPath(); am != bm {
			return am < bm
		}
		if a.Location.Offset != b.Location.Offset {
			return a.Location.Offset < b.Location.Offset
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

// Max returns the highest severity among fs, and false when fs is empty.
func Max(fs []Finding) (Severity, bool) {
	if len(fs) == 0 {
		return Info, false
	}
	m := fs[0].Severity
	for _, f := range fs[1:] {
		if f.Severity > m {
			m = f.Severity
		}
	}
	return m, true
}
