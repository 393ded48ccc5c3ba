package scan

import (
	"fmt"
	"path"
	"strings"

	"github.com/modelward/modelward/finding"
)

// Extraction safety. Users and loaders unpack what they download; an
// archive whose member names or links point outside the folder it is
// unpacked into writes (or reads) files of the attacker's choosing. The
// checks follow what extractors do with names: backslashes are separators
// on Windows and for many zip tools, a drive letter or a leading separator
// makes a name absolute, and ".." climbs.

// unsafeName says why a member name escapes the extraction folder, or "".
func unsafeName(name string) string {
	switch {
	case strings.IndexByte(name, 0) >= 0:
		return "contains a NUL byte, which truncates the name for C-based extractors"
	case isAbsolute(name):
		return "is an absolute path"
	case climbs(normalise(name)):
		return "climbs out of the extraction folder with .."
	}
	return ""
}

// linkEscape says why a link target leaves the extraction folder, or "".
// A symbolic link's target is relative to the link's own folder; a hard
// link's target names another member, relative to the archive's root.
func linkEscape(name, target string, hard bool) string {
	switch {
	case target == "":
		return ""
	case strings.IndexByte(target, 0) >= 0:
		return "has a target with a NUL byte"
	case isAbsolute(target):
		return "points to an absolute path"
	}
	p := normalise(target)
	if !hard {
		p = path.Dir(normalise(name)) + "/" + p
	}
	if climbs(p) {
		return "points outside the extraction folder"
	}
	return ""
}

func normalise(name string) string { return strings.ReplaceAll(name, `\`, "/") }

func isAbsolute(name string) bool {
	n := normalise(name)
	if strings.HasPrefix(n, "/") {
		return true
	}
	// A drive letter ("C:", "C:/x") or a URL-like scheme in a name.
	return len(n) >= 2 && n[1] == ':' && (n[0]|0x20 >= 'a' && n[0]|0x20 <= 'z')
}

// climbs reports whether a slash path leaves the folder it is joined to at
// any point of its walk: "a/../../b" does, and so does "../x" even where
// the folder happens to be named x.
func climbs(p string) bool {
	depth := 0
	for _, part := range strings.Split(p, "/") {
		switch part {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

// checkMemberName reports a member whose name escapes the folder.
func (j *job) checkMemberName(member []string, kind, name string) {
	if why := unsafeName(name); why != "" {
		j.add(finding.New(finding.ArchivePathTraversal, j.loc(child(member, name), -1),
			fmt.Sprintf("%s member name %q %s: extracting the archive writes outside the folder (zip-slip)", kind, name, why),
			finding.Evidence{Detail: name}))
	}
}

// checkLink reports a link member whose target escapes the folder. Links
// that stay inside are noted at low severity: loaders that open members by
// name follow them, which is how one member masquerades as another.
func (j *job) checkLink(member []string, kind, name, target string, hard bool) {
	what := "symbolic link"
	if hard {
		what = "hard link"
	}
	loc := j.loc(child(member, name), -1)
	if why := linkEscape(name, target, hard); why != "" {
		j.add(finding.New(finding.ArchiveLinkEscape, loc,
			fmt.Sprintf("%s member %q is a %s that %s (%q): extracting it, or a loader opening it, reaches a file elsewhere on the machine", kind, name, what, why, target),
			finding.Evidence{Detail: target}))
		return
	}
	f := finding.New(finding.ArchiveAnomaly, loc,
		fmt.Sprintf("%s member %q is a %s to %q inside the archive; it is not scanned as content of its own", kind, name, what, target),
		finding.Evidence{Detail: target})
	j.add(f)
}
