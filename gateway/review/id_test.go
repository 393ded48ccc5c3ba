package review

import (
	"strings"
	"testing"
)

func TestIDs(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id := newID()
		if !ValidID(id) || seen[id] {
			t.Fatalf("bad or repeated ID %q", id)
		}
		seen[id] = true
	}
	good := newID()
	bad := []string{
		"", "rv_", good[:len(good)-1], good + "a", strings.ToUpper(good),
		"xx_" + good[3:], "rv_" + strings.Repeat("a", 25) + "b", // non-canonical last char
		"rv_" + strings.Repeat("a", 25) + "1", "rv_" + strings.Repeat("a", 25) + "=",
		"rv_aaaaaaaaaaaaaaaaaaaaaaaaa\x00",
	}
	for _, s := range bad {
		if ValidID(s) {
			t.Errorf("ValidID(%q) = true", s)
		}
	}
	if !ValidID("rv_" + strings.Repeat("a", 25) + "e") {
		t.Error("canonical ID refused")
	}
}

func FuzzValidID(f *testing.F) {
	f.Add(newID())
	f.Add("rv_" + strings.Repeat("7", 26))
	f.Add("rv_AAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidID(s) {
			return
		}
		// an accepted ID decodes to exactly 128 bits and re-encodes to itself
		b, err := idEncoding.DecodeString(s[len(idPrefix):])
		if err != nil || len(b) != idRandBytes {
			t.Fatalf("accepted %q: %v %d", s, err, len(b))
		}
		if again := idPrefix + idEncoding.EncodeToString(b); again != s {
			t.Fatalf("accepted non-canonical %q (canonical %q)", s, again)
		}
	})
}
