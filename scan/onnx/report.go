package onnx

import (
	"fmt"

	"github.com/modelward/modelward/finding"
)

// reporter collects findings, dropping exact repeats and listing at most
// maxPerRule per rule: a crafted model with a million bad tensors must not
// turn into a million findings, and the highest severity is already shown.
type reporter struct {
	base    finding.Location
	out     []finding.Finding
	perRule map[string]int
	seen    map[string]bool
}

// emit adds one finding at where (a path inside the model, appended to the
// caller's member chain) and byte offset off (-1 when not meaningful).
func (r *reporter) emit(rule string, sev finding.Severity, where string, off int64, ev finding.Evidence, format string, a ...any) {
	if r.perRule[rule] > maxPerRule {
		return
	}
	msg := fmt.Sprintf(format, a...)
	key := rule + "\x00" + where + "\x00" + msg
	if r.seen[key] {
		return
	}
	r.seen[key] = true
	r.perRule[rule]++
	if r.perRule[rule] > maxPerRule {
		f := finding.New(finding.LimitReached, r.loc("", -1), fmt.Sprintf("more than %d %s findings: the rest were found but are not listed", maxPerRule, rule), finding.Evidence{})
		f.Severity = finding.Info
		r.out = append(r.out, f)
		return
	}
	f := finding.New(rule, r.loc(where, off), msg, ev)
	f.Severity = sev
	r.out = append(r.out, f)
}

func (r *reporter) loc(where string, off int64) finding.Location {
	l := r.base
	l.Member = append([]string(nil), r.base.Member...)
	if where != "" {
		l.Member = append(l.Member, where)
	}
	l.Offset = off
	return l
}
