package zipx

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// checkLayout notes how the members sit in the file: overlaps, leading
// bytes, and gaps that no member accounts for, then duplicate names. When the
// members come from a central directory, local headers that start the file
// or a gap begin members the directory does not list but streaming readers
// extract: they are added to Entries, unlisted, and noted as hidden members.
// It fails only on I/O errors and ErrLimit.
func (a *Archive) checkLayout(d directory, listed bool) error {
	order := make([]*Entry, len(a.Entries))
	for i := range a.Entries {
		order[i] = &a.Entries[i]
	}
	slices.SortStableFunc(order, func(x, y *Entry) int { return cmp.Compare(x.HeaderOffset, y.HeaderOffset) })
	var hidden []Entry
	first := d.start
	if len(order) > 0 {
		first = order[0].HeaderOffset
	}
	pos, prev := a.base, (*Entry)(nil)
	if listed {
		// Streaming readers start at the first byte of the file, whatever
		// was prepended to the archive.
		stop, last, err := a.findHidden(&hidden, nil, 0, first)
		if err != nil {
			return err
		}
		pos, prev = max(pos, stop), last
	}
	if len(order) > 0 && first > pos {
		a.note(KindDataBeforeFirstEntry, "", "%d bytes precede the first local header", first-pos)
		pos = first
	}
	// next[i] is where the next listed thing after order[i] starts.
	next := make([]int64, len(order))
	for i := len(order) - 1; i >= 0; i-- {
		switch {
		case i == len(order)-1:
			next[i] = d.start
		case order[i+1].HeaderOffset > order[i].HeaderOffset:
			next[i] = order[i+1].HeaderOffset
		default:
			next[i] = next[i+1]
		}
	}
	searched := int64(-1) // members sharing bytes are searched after once
	var listedPrev *Entry
	for i, e := range order {
		if listedPrev != nil && e.HeaderOffset == listedPrev.HeaderOffset {
			a.checkGap(listedPrev, pos, e.HeaderOffset, e.Name)
		} else {
			a.checkGap(prev, pos, e.HeaderOffset, e.Name)
		}
		pos, prev, listedPrev = max(pos, a.dataStop(e)), e, e
		if !listed || pos <= searched {
			continue
		}
		after := e
		if a.dataStop(e) != pos {
			after = nil // the gap follows another member's data
		}
		stop, last, err := a.findHidden(&hidden, after, pos, next[i])
		if err != nil {
			return err
		}
		if last != nil {
			pos, prev = max(pos, stop), last
		}
		searched = pos
	}
	a.Entries = append(a.Entries, hidden...)
	a.checkDuplicates()
	if !listed {
		return nil
	}
	if prev == nil && d.start > pos {
		a.note(KindUnreferencedData, "", "%d bytes before the central directory belong to no listed member", d.start-pos)
	}
	if prev != nil {
		a.checkGap(prev, pos, d.start, "")
	}
	if d.stop < d.dirEnd {
		a.note(KindUnreferencedData, "", "%d bytes between the central directory and the end record belong to nothing", d.dirEnd-d.stop)
	}
	return nil
}

// findHidden walks the local headers that follow one another from offset
// from (or, after a member prev with a data descriptor, from the end of that
// descriptor) while they start before to, where the next listed thing lies.
// The central directory omits these members, but a streaming reader (Java's
// ZipInputStream, bsdtar reading a pipe) reads the file front to back and
// extracts each of them. They are appended to hidden; the walk stops at the
// first bytes that are not a local header, as streaming readers do. It
// returns where the last member found ends, and a copy of that member, or
// (from, nil) when there is none.
func (a *Archive) findHidden(hidden *[]Entry, prev *Entry, from, to int64) (int64, *Entry, error) {
	if to-from < lenLocal {
		return from, nil, nil // no room for a header: the common case
	}
	off := from
	if prev != nil && prev.Flags&flagDescriptor != 0 {
		ok, err := a.sigAt(off, sigLocal)
		if err != nil {
			return from, nil, err
		}
		if !ok {
			desc := *prev // descriptorLen may fill in the CRC
			off += a.descriptorLen(off, &desc)
		}
	}
	stop, last := from, (*Entry)(nil)
	for off < to {
		h, ok, err := a.readLocal(off)
		if err != nil || !ok {
			return stop, last, err
		}
		if len(a.Entries)+len(*hidden) >= a.lim.MaxEntries {
			return stop, last, fmt.Errorf("zip: the archive holds more than %d members: %w", a.lim.MaxEntries, ErrLimit)
		}
		e := h.entry(off)
		next, err := a.dataEnd(&e)
		if err != nil {
			return stop, last, err
		}
		a.checkEntry(&e)
		a.note(KindHiddenMember, e.Name, "a local header at offset %d starts a member the central directory does not list; streaming readers (Java's ZipInputStream, bsdtar reading a pipe) extract it; it is scanned", off)
		*hidden = append(*hidden, e)
		last = &e
		stop = max(stop, next)
		off = next // always past off: the data starts after the header
	}
	return stop, last, nil
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
