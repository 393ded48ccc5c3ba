package review

import (
	"fmt"
	"sort"
	"strconv"
)

// Page sizes for List.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// Filter selects items for List. Empty fields match everything.
type Filter struct {
	State     State
	Model     string
	Principal string
	// Limit is the page size: DefaultListLimit when 0, at most MaxListLimit.
	Limit int
	// After is the next cursor a previous List returned: the page starts
	// strictly after the last item of the previous one, in creation order.
	After string
}

// List returns the items matching f in creation order and, when more may
// follow, the cursor of the next page ("" at the end). The cursor is the
// position of the last item returned rather than its ID, so a page still
// resumes in the right place after that item has been forgotten, and
// items held meanwhile are appended after it: paging while Holds go on
// neither repeats nor skips an item.
func (q *Queue) List(f Filter) (items []Item, next string, err error) {
	limit, after, err := f.check()
	if err != nil {
		return nil, "", err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.advanceLocked(q.cfg.Now())
	start := sort.Search(len(q.order), func(i int) bool { return q.order[i].seq > after })
	var last uint64
	for _, e := range q.order[start:] {
		if e.gone || !f.match(&e.item) {
			continue
		}
		if len(items) == limit {
			// one more match exists, so the caller needs another page
			return items, formatCursor(last), nil
		}
		items = append(items, e.item)
		last = e.seq
	}
	return items, "", nil
}

// check validates the filter and decodes its cursor.
func (f Filter) check() (limit int, after uint64, err error) {
	if f.State != "" && !f.State.valid() {
		return 0, 0, fmt.Errorf("%w: unknown state %q", ErrInvalid, f.State)
	}
	if f.Limit < 0 {
		return 0, 0, fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	limit = min(f.Limit, MaxListLimit)
	if limit == 0 {
		limit = DefaultListLimit
	}
	after, err = parseCursor(f.After)
	return limit, after, err
}

func (f Filter) match(it *Item) bool {
	return (f.State == "" || it.State == f.State) &&
		(f.Model == "" || it.Model == f.Model) &&
		(f.Principal == "" || it.Principal == f.Principal)
}

// Cursors are the decimal creation sequence number of the last item of a
// page. Any reviewer may craft one; it only says where to start.
const maxCursorLen = 20 // digits of the largest uint64

func formatCursor(seq uint64) string { return strconv.FormatUint(seq, 10) }

func parseCursor(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	if len(s) > maxCursorLen {
		return 0, fmt.Errorf("%w: malformed cursor", ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: malformed cursor", ErrInvalid)
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: malformed cursor", ErrInvalid)
	}
	return n, nil
}
