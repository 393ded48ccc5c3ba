package hf

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

const (
	maxPathLen   = 4096
	maxPathDepth = 64
)

// validRepoPath checks a file name sent by a hub. Callers join these names
// to URLs and report them to people, and a caller may one day write them to
// disk: a hostile hub must not be able to smuggle a path that climbs out
// ("..", absolute, drive letters, backslashes on Windows), hides in a
// terminal (control characters) or truncates in C (NUL).
func validRepoPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty file name")
	case len(p) > maxPathLen:
		return fmt.Errorf("file name longer than %d bytes", maxPathLen)
	case !utf8.ValidString(p):
		return fmt.Errorf("file name %q is not valid UTF-8", p)
	case p[0] == '/':
		return fmt.Errorf("file name %q is absolute", p)
	case len(p) >= 2 && p[1] == ':':
		return fmt.Errorf("file name %q starts with a drive letter", p)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("file name %q contains a control character", p)
		}
		if r == '\\' {
			return fmt.Errorf("file name %q contains a backslash", p)
		}
	}
	segs := strings.Split(p, "/")
	if len(segs) > maxPathDepth {
		return fmt.Errorf("file name %q is nested deeper than %d folders", p, maxPathDepth)
	}
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return fmt.Errorf("file name %q has an empty, \".\" or \"..\" segment", p)
		}
	}
	return nil
}

// escapePath escapes each segment of a validated repository path for a URL.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = urlPathEscape(s)
	}
	return strings.Join(segs, "/")
}
