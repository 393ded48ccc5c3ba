package review

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// listAll pages through the queue and returns the IDs in page order.
func listAll(t *testing.T, q *Queue, f Filter) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("pagination does not terminate")
		}
		items, next, err := q.List(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		if next == "" {
			return ids
		}
		f.After = next
	}
}

func TestListFiltersAndPages(t *testing.T) {
	q, _ := newTestQueue(t, Config{MaxPerPrincipal: 100})
	var want []string
	for i := range 25 {
		it, err := q.Hold(fmt.Sprintf("p%d", i%3), fmt.Sprintf("m%d", i%2), "", testEvidence, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 1 && i%2 == 0 {
			want = append(want, it.ID)
		}
	}
	got := listAll(t, q, Filter{Principal: "p1", Model: "m0", Limit: 2})
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	items, next, err := q.List(Filter{Limit: 25})
	if err != nil || len(items) != 25 || next != "" {
		t.Fatalf("an exact last page must not announce another: %d %q %v", len(items), next, err)
	}
	if _, err := q.Decide(items[3].ID, true, "root", ""); err != nil {
		t.Fatal(err)
	}
	approved, _, _ := q.List(Filter{State: StateApproved})
	if len(approved) != 1 || approved[0].ID != items[3].ID {
		t.Fatalf("state filter: %+v", approved)
	}
}

func TestListRejectsBadFilters(t *testing.T) {
	q, _ := newTestQueue(t, Config{})
	for _, f := range []Filter{
		{State: "bogus"}, {Limit: -1}, {After: "x"}, {After: "-1"}, {After: "+1"},
		{After: "99999999999999999999"}, {After: "123456789012345678901"},
	} {
		if _, _, err := q.List(f); !errors.Is(err, ErrInvalid) {
			t.Errorf("List(%+v): %v", f, err)
		}
	}
	if items, _, err := q.List(Filter{Limit: 5000}); err != nil || items != nil {
		t.Fatalf("large limit is clamped, not refused: %v", err)
	}
}

// A cursor must survive the forgetting of the item it was taken after.
func TestListCursorSurvivesForgetting(t *testing.T) {
	q, clock := newTestQueue(t, Config{KeepDecided: time.Minute, MaxPerPrincipal: 100})
	var ids []string
	for range 6 {
		ids = append(ids, mustHold(t, q, "alice", nil).ID)
	}
	page, next, err := q.List(Filter{Limit: 3})
	if err != nil || len(page) != 3 || next == "" {
		t.Fatalf("first page: %d %q %v", len(page), next, err)
	}
	for _, id := range ids[1:4] { // includes the cursor's item and the next one
		if _, err := q.Decide(id, false, "root", ""); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute)
	rest, next, err := q.List(Filter{Limit: 3, After: next})
	if err != nil || next != "" {
		t.Fatalf("second page: %q %v", next, err)
	}
	if len(rest) != 2 || rest[0].ID != ids[4] || rest[1].ID != ids[5] {
		t.Fatalf("second page %+v, want %v", rest, ids[4:])
	}
}

func TestListStableUnderConcurrentHolds(t *testing.T) {
	q, _ := newTestQueue(t, Config{MaxPending: 5000, MaxPerPrincipal: 5000, MaxItems: 5000})
	for range 200 {
		mustHold(t, q, "seed", nil)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for range 200 {
				if _, err := q.Hold(fmt.Sprintf("w%d", w), "digits", "", testEvidence, "", nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	paged := listAll(t, q, Filter{Limit: 7})
	wg.Wait()
	all, _, err := q.List(Filter{Limit: MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1000 {
		t.Fatalf("%d items, want 1000", len(all))
	}
	if len(paged) < 200 || len(paged) > len(all) {
		t.Fatalf("paged %d items", len(paged))
	}
	// Holds only append, so the pages read a prefix of the final order:
	// any duplicate or skip would break the match.
	for i, id := range paged {
		if all[i].ID != id {
			t.Fatalf("page item %d is %s, final order has %s", i, id, all[i].ID)
		}
	}
}
