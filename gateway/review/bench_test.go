package review

import (
	"fmt"
	"testing"
)

// BenchmarkHold measures holding a typical OIP response (about 200 bytes)
// and deciding it, so the queue stays at a steady size.
func BenchmarkHold(b *testing.B) {
	q, _ := newTestQueue(b, Config{})
	resp := make([]byte, 200)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		it, err := q.Hold(fmt.Sprintf("p%d", i%16), "digits", "3", testEvidence, "label 7", resp)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := q.Decide(it.ID, false, "root", ""); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			b.StopTimer()
			q, _ = newTestQueue(b, Config{}) // stay under MaxItems
			b.StartTimer()
		}
	}
}

// BenchmarkList measures a reviewer's page of pending items from a full
// queue of 1,000 pending and 9,000 decided items.
func BenchmarkList(b *testing.B) {
	q, _ := newTestQueue(b, Config{MaxPending: 2000, MaxPerPrincipal: 2000})
	for i := range 10000 {
		it, err := q.Hold("p", "digits", "", testEvidence, "", nil)
		if err != nil {
			b.Fatal(err)
		}
		if i%10 != 0 {
			if _, err := q.Decide(it.ID, i%2 == 0, "root", ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		items, _, err := q.List(Filter{State: StatePending})
		if err != nil || len(items) != DefaultListLimit {
			b.Fatal(len(items), err)
		}
	}
}
