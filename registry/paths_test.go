package registry

import (
	"errors"
	"testing"
)

func TestPathSet(t *testing.T) {
	cases := []struct {
		paths []string
		ok    bool
	}{
		{[]string{"config.json", "weights/a.bin", "weights/b.bin"}, true},
		{[]string{"."}, true},
		{[]string{".", "x"}, false},
		{[]string{"x", "."}, false},
		{[]string{".github/evil.pkl"}, false}, // never covered by a signature
		{[]string{".git/objects/x"}, false},
		{[]string{".gitignore"}, false},
		{[]string{"a", "a/b"}, false}, // a file where a folder is needed
		{[]string{"a/b", "a"}, false},
		{[]string{"A.bin", "a.bin"}, false},
		{[]string{"caf\u00e9", "cafe\u0301"}, false}, // NFC and NFD spellings
		{[]string{"../x"}, false},
		{[]string{"a//b"}, false},
	}
	for _, c := range cases {
		s := NewPathSet()
		var err error
		for _, p := range c.paths {
			if err = s.Add(p); err != nil {
				break
			}
		}
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrInvalidUpload)) {
			t.Errorf("%q: %v", c.paths, err)
		}
	}
}
