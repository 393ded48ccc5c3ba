package gguf

import (
	"fmt"

	"github.com/modelward/modelward/finding"
)

// loc returns the caller's location pointing at member inside the file.
func (c *checker) loc(member string, off int64) finding.Location {
	l := c.cfg.Location
	l.Member = append([]string(nil), c.cfg.Location.Member...)
	if member != "" {
		l.Member = append(l.Member, member)
	}
	l.Offset = off
	return l
}

// add appends a finding, keeping at most maxFindings; the rest are
// counted and summarised by finish.
func (c *checker) add(f finding.Finding) {
	if len(c.out) >= maxFindings {
		c.dropped++
		return
	}
	c.out = append(c.out, f)
}

// invalid reports a break of the format (MW315).
func (c *checker) invalid(member string, off int64, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.add(finding.New(finding.StructureInvalid, c.loc(member, off),
		"GGUF structure is invalid: "+msg+"; loaders may misread the file and the scanner cannot vouch for it.",
		finding.Evidence{Detail: msg}))
}

// fail reports the error that stopped parsing.
func (c *checker) fail(e *formatError) {
	if e.limit {
		c.add(finding.New(finding.LimitReached, c.loc("", e.off),
			"GGUF header not fully inspected: "+e.msg+".", finding.Evidence{Detail: e.msg}))
	} else {
		c.add(finding.New(finding.StructureInvalid, c.loc("", e.off),
			"GGUF header cannot be parsed past this point: "+e.msg+"; the rest of the file was not inspected.",
			finding.Evidence{Detail: e.msg}))
	}
	c.finish()
}

// finish summarises findings dropped over the cap.
func (c *checker) finish() {
	if c.dropped > 0 {
		c.out = append(c.out, finding.New(finding.LimitReached, c.loc("", -1),
			fmt.Sprintf("GGUF check stopped listing problems after %d findings; %d more were not reported.", maxFindings, c.dropped),
			finding.Evidence{}))
		c.dropped = 0
	}
}
