package zipx

import (
	"cmp"
	"slices"
	"strings"
)

// checkLayout notes duplicate names, and how the members sit in the file:
// overlaps, leading bytes, and gaps that no member accounts for.
func (a *Archive) checkLayout(d directory, listed bool) {
	a.checkDuplicates()
	order := make([]*Entry, len(a.Entries))
	for i := range a.Entries {
		order[i] = &a.Entries[i]
	}
	slices.SortStableFunc(order, func(x, y *Entry) int { return cmp.Compare(x.HeaderOffset, y.HeaderOffset) })
	pos, prev := a.base, (*Entry)(nil)
	if len(order) > 0 && order[0].HeaderOffset > pos {
		a.note(KindDataBeforeFirstEntry, "", "%d bytes precede the first local header", order[0].HeaderOffset-pos)
		pos = order[0].HeaderOffset
	}
	for _, e := range order {
		a.checkGap(prev, pos, e.HeaderOffset, e.Name)
		pos, prev = max(pos, a.dataStop(e)), e
	}
	if !listed {
		return
	}
	if prev == nil && d.start > a.base {
		a.note(KindUnreferencedData, "", "%d bytes before the central directory belong to no listed member", d.start-a.base)
	}
	if prev != nil {
		a.checkGap(prev, pos, d.start, "")
	}
	if d.stop < d.dirEnd {
		a.note(KindUnreferencedData, "", "%d bytes between the central directory and the end record belong to nothing", d.dirEnd-d.stop)
	}
}

// checkGap compares where the previous member's data stops (pos) with where
// the next thing starts: a member named next, or the central directory when
// next is empty.
func (a *Archive) checkGap(prev *Entry, pos, start int64, next string) {
	if prev == nil {
		return
	}
	what := "the central directory"
	if next != "" {
		what = "the local header of " + quote(next)
	}
	if start < pos {
		if start == prev.HeaderOffset {
			a.note(KindOverlappingEntries, next, "shares its local header at offset %d with %s", start, quote(prev.Name))
			return
		}
		a.note(KindOverlappingEntries, next, "%s at offset %d lies inside the data of %s, which runs to %d", what, start, quote(prev.Name), pos)
		return
	}
	slack := int64(0)
	if prev.Flags&flagDescriptor != 0 {
		slack = 24 // the longest data descriptor
	}
	if gap := start - pos; gap > slack {
		a.note(KindUnreferencedData, prev.Name, "%d bytes between the end of its data (offset %d) and %s belong to no member", gap, pos, what)
	}
}

// dataStop is where a member's data ends, capped at the end of the file.
func (a *Archive) dataStop(e *Entry) int64 {
	return e.DataOffset + int64(min(e.CompressedSize, uint64(a.size-e.DataOffset)))
}

func (a *Archive) checkDuplicates() {
	seen := make(map[string]bool, len(a.Entries))
	for i := range a.Entries {
		name := a.Entries[i].Name
		if seen[name] {
			a.note(KindDuplicateName, name, "more than one member has this name; readers disagree on which one they load")
		}
		seen[name] = true
	}
}

// unsafeName says why a name could escape an extraction directory, or "".
func unsafeName(name string) string {
	switch {
	case strings.ContainsRune(name, 0):
		return "the name contains a NUL byte"
	case strings.ContainsRune(name, '\\'):
		return "the name contains a backslash"
	case strings.HasPrefix(name, "/"):
		return "the name is an absolute path"
	case len(name) >= 2 && name[1] == ':':
		return "the name starts with a drive letter"
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "the name has a \"..\" path element"
		}
	}
	return ""
}

func quote(s string) string {
	const most = 200
	if len(s) > most {
		s = s[:most] + "..."
	}
	return strings.ReplaceAll(strings.ReplaceAll(`"`+s+`"`, "\n", `\n`), "\x00", `\0`)
}
