package proxy

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// plainName accepts exactly what the documented patterns accept, over
// random strings of the characters that matter and lengths around the
// limits.
func TestPlainNameMatchesPattern(t *testing.T) {
	model := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
	version := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	const alphabet = "aZ09_.-/%\x00 é\n"
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		n := rng.IntN(140)
		if rng.IntN(4) == 0 {
			n = rng.IntN(4)
		}
		var b strings.Builder
		for range n {
			if rng.IntN(3) == 0 {
				b.WriteByte(alphabet[rng.IntN(len(alphabet))])
			} else {
				b.WriteByte("abcXYZ0123"[rng.IntN(10)])
			}
		}
		s := b.String()
		if got, want := plainName(s, maxModelName), model.MatchString(s); got != want {
			t.Fatalf("model name %q: %v, pattern says %v", s, got, want)
		}
		if got, want := plainName(s, maxVersionName), version.MatchString(s); got != want {
			t.Fatalf("version name %q: %v, pattern says %v", s, got, want)
		}
	}
}

func TestSplitPath(t *testing.T) {
	var dst [maxSegments]string
	for _, p := range []string{"", "a", "a/b", "/", "//", "v2/models/digits/infer", "a/", "a/b/c/d/e/f/g"} {
		seg, ok := splitPath(p, &dst)
		if !ok || !slices.Equal(seg, strings.Split(p, "/")) {
			t.Errorf("%q: %q %v", p, seg, ok)
		}
	}
	if _, ok := splitPath("a/b/c/d/e/f/g/h", &dst); ok {
		t.Error("eight segments accepted")
	}
}
