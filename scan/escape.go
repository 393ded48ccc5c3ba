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

// archiveLink is a link member, kept until the whole archive has been
// walked: a link is only safe once every other link it may pass through
// is known.
type archiveLink struct {
	name, target string
	hard         bool
}

// maxLinkHops bounds how many links one path may pass through, as the
// kernel's limit on symbolic link resolution (40) does.
const maxLinkHops = 40

// checkLinks reports link members whose targets leave the extraction
// folder, directly or by passing through other links of the archive (a
// link to ".." chained with one that climbs through it). Links that stay
// inside are noted at low severity: loaders that open members by name
// follow them, which is how one member masquerades as another.
func (j *job) checkLinks(member []string, kind string, links []archiveLink) {
	symlinks := map[string]string{}
	for _, l := range links {
		if !l.hard {
			symlinks[path.Clean(normalise(l.name))] = l.target
		}
	}
	for _, l := range links {
		j.checkLink(member, kind, l, symlinks)
	}
}

func (j *job) checkLink(member []string, kind string, l archiveLink, symlinks map[string]string) {
	what := "symbolic link"
	if l.hard {
		what = "hard link"
	}
	loc := j.loc(child(member, l.name), -1)
	why := linkEscape(l.name, l.target, l.hard)
	if why == "" && !l.hard {
		why = resolveEscape(l.name, l.target, symlinks)
	}
	if why != "" {
		j.add(finding.New(finding.ArchiveLinkEscape, loc,
			fmt.Sprintf("%s member %q is a %s that %s (%q): extracting it, or a loader opening it, reaches a file elsewhere on the machine", kind, l.name, what, why, l.target),
			finding.Evidence{Detail: l.target}))
		return
	}
	j.add(finding.New(finding.ArchiveAnomaly, loc,
		fmt.Sprintf("%s member %q is a %s to %q inside the archive; it is not scanned as content of its own", kind, l.name, what, l.target),
		finding.Evidence{Detail: l.target}))
}

// resolveEscape follows a symbolic link's target through the archive's
// other symbolic links, component by component, as the kernel does once
// the archive is extracted, and says why it leaves the folder, or "".
func resolveEscape(name, target string, symlinks map[string]string) string {
	rest := strings.Split(path.Dir(normalise(name))+"/"+normalise(target), "/")
	var at []string // the resolved components so far, below the folder
	for hops := 0; len(rest) > 0; {
		part := rest[0]
		rest = rest[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(at) == 0 {
				return "points outside the extraction folder through other links of the archive"
			}
			at = at[:len(at)-1]
			continue
		}
		at = append(at, part)
		t, ok := symlinks[strings.Join(at, "/")]
		if !ok {
			continue
		}
		if hops++; hops > maxLinkHops {
			return "passes through more than 40 links (a loop)"
		}
		if strings.IndexByte(t, 0) >= 0 || isAbsolute(t) {
			return "points outside the extraction folder through another link of the archive"
		}
		// The link is replaced by its target, relative to its folder.
		at = at[:len(at)-1]
		rest = append(strings.Split(normalise(t), "/"), rest...)
	}
	return ""
}
