package storekit

import (
	"errors"
	"math"
	"testing"

	"github.com/modelward/modelward/registry"
)

func TestCursors(t *testing.T) {
	c := EncodeCursor("version", "12")
	if n, err := DecodeNumberCursor(c); err != nil || n != 12 {
		t.Fatalf("%d %v", n, err)
	}
	for _, bad := range []string{"", "!!", EncodeCursor("token", "12"), EncodeCursor("version", "-1"), EncodeCursor("version", "x")} {
		if _, err := DecodeNumberCursor(bad); !errors.Is(err, registry.ErrBadCursor) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzCursor: cursors come from clients; any string is refused cleanly or
// decodes to a positive number that encodes back the same.
func FuzzCursor(f *testing.F) {
	f.Add(EncodeCursor("version", "7"))
	f.Add(EncodeCursor("model", "team/classifier"))
	f.Add("dmVyc2lvbjox")
	f.Fuzz(func(t *testing.T, c string) {
		n, err := DecodeNumberCursor(c)
		if err != nil {
			if !errors.Is(err, registry.ErrBadCursor) {
				t.Fatalf("unclassified: %v", err)
			}
			return
		}
		if n <= 0 {
			t.Fatalf("cursor %q gave %d", c, n)
		}
	})
}

func TestBeforeAndTrim(t *testing.T) {
	if n, err := Before(""); err != nil || n != math.MaxInt64 {
		t.Fatalf("empty cursor: %d %v", n, err)
	}
	if n, err := Before(EncodeCursor("version", "7")); err != nil || n != 7 {
		t.Fatalf("cursor 7: %d %v", n, err)
	}
	if _, err := Before(EncodeCursor("model", "7")); !errors.Is(err, registry.ErrBadCursor) {
		t.Fatalf("a model cursor: %v", err)
	}
	key := func(s string) string { return s }
	if rows, next := Trim([]string{"a", "b"}, 2, "model", key); len(rows) != 2 || next != "" {
		t.Fatalf("last page: %v %q", rows, next)
	}
	rows, next := Trim([]string{"a", "b", "c"}, 2, "model", key)
	if k, err := DecodeCursor("model", next); len(rows) != 2 || err != nil || k != "b" {
		t.Fatalf("a page with more: %v %q %v", rows, k, err)
	}
}
