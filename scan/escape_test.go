package scan

import "testing"

func TestUnsafeName(t *testing.T) {
	cases := map[string]bool{
		"model/weights.pkl": false, "a/../b": false, "./x": false, "..foo/x": false, "x/..y": false,
		"../x": true, "a/../../x": true, "/etc/passwd": true, `\evil`: true, `a\..\..\x`: true,
		"C:/Windows/x": true, "c:evil": true, "x\x00.pkl": true, "..": true,
	}
	for name, want := range cases {
		if got := unsafeName(name) != ""; got != want {
			t.Errorf("unsafeName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestLinkEscape(t *testing.T) {
	cases := []struct {
		name, target string
		hard, want   bool
	}{
		{"model/latest.pkl", "weights.pkl", false, false},
		{"model/sub/a", "../b", false, false},
		{"model/a", "../../b", false, true},
		{"model/a", "/etc/passwd", false, true},
		{"model/a", "model/b", true, false},
		{"model/a", "../b", true, true}, // hard links name members from the root
		{"a", `..\..\x`, false, true},
		{"a", "", false, false},
	}
	for _, c := range cases {
		if got := linkEscape(c.name, c.target, c.hard) != ""; got != c.want {
			t.Errorf("linkEscape(%q, %q, %v) = %v, want %v", c.name, c.target, c.hard, got, c.want)
		}
	}
}
