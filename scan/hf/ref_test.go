package hf

import (
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	long := strings.Repeat("a", 97)
	tests := []struct {
		in      string
		want    Ref
		wantErr string
	}{
		{"hf://org/name", Ref{Repo: "org/name"}, ""},
		{"hf://org/name@main", Ref{Repo: "org/name", Revision: "main"}, ""},
		{"hf://gpt2", Ref{Repo: "gpt2"}, ""},
		{"hf://org/na.me_1-x@v1.0", Ref{Repo: "org/na.me_1-x", Revision: "v1.0"}, ""},
		{"hf://org/name@refs/pr/12", Ref{Repo: "org/name", Revision: "refs/pr/12"}, ""},
		{"hf://org/name@0123456789abcdef0123456789abcdef01234567",
			Ref{Repo: "org/name", Revision: "0123456789abcdef0123456789abcdef01234567"}, ""},
		{"hf://datasets/org/data", Ref{Repo: "datasets/org/data"}, ""},
		{"hf://spaces/org/app@main", Ref{Repo: "spaces/org/app", Revision: "main"}, ""},
		{"hf://models/org/name", Ref{Repo: "org/name"}, ""},
		{"org/name", Ref{}, "not a Hugging Face reference"},
		{"hf://", Ref{}, "org/name or name"},
		{"hf://a/b/c", Ref{}, "org/name or name"},
		{"hf://org/", Ref{}, "1 to 96"},
		{"hf:///name", Ref{}, "1 to 96"},
		{"hf://org/na--me", Ref{}, `"--"`},
		{"hf://org/na..me", Ref{}, `".."`},
		{"hf://../etc", Ref{}, `".."`},
		{"hf://org/-name", Ref{}, "start or end"},
		{"hf://org/name.", Ref{}, "start or end"},
		{"hf://org/name.git", Ref{}, ".git"},
		{"hf://org/na me", Ref{}, "not allowed"},
		{"hf://org/na%2fme", Ref{}, "not allowed"},
		{"hf://org/" + long, Ref{}, "1 to 96"},
		{"hf://org/name@", Ref{}, "empty revision"},
		{"hf://org/name@a@b", Ref{}, "not allowed"},
		{"hf://org/name@../x", Ref{}, "dot path segment"},
		{"hf://org/name@a//b", Ref{}, "dot path segment"},
		{"hf://org/name@a..b", Ref{}, "not a valid git reference"},
		{"hf://org/name@x\x00", Ref{}, "not allowed"},
		{"hf://org/name@x?y", Ref{}, "not allowed"},
		{"hf://org/name@" + strings.Repeat("r", 256), Ref{}, "longer than"},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRef(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if again, err := ParseRef(got.String()); err != nil || again != got {
			t.Errorf("ParseRef(%q.String()) = %+v, %v", tt.in, again, err)
		}
	}
}

func TestIsRef(t *testing.T) {
	for s, want := range map[string]bool{"hf://a/b": true, "hf://": true, "./hf://a": false, "HF://a": false, "/models": false} {
		if IsRef(s) != want {
			t.Errorf("IsRef(%q) = %v", s, !want)
		}
	}
}

func TestValidRepoPath(t *testing.T) {
	good := []string{"model.safetensors", "a/b/c.bin", "with space/and#hash?.txt", "ünïcode/名前.json", ".gitattributes"}
	for _, p := range good {
		if err := validRepoPath(p); err != nil {
			t.Errorf("validRepoPath(%q) = %v", p, err)
		}
	}
	bad := []string{"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", "C:/x", "c:x",
		"a\\..\\b", "a\x00b", "a\nb", "\x1b[2Jx", "a\u0085b", "\xff", strings.Repeat("a/", 65) + "x",
		strings.Repeat("a", 4097)}
	for _, p := range bad {
		if err := validRepoPath(p); err == nil {
			t.Errorf("validRepoPath(%q) accepted", p)
		}
	}
}

func TestEscapePath(t *testing.T) {
	if got, want := escapePath("a b/c#d?.bin"), "a%20b/c%23d%3F.bin"; got != want {
		t.Errorf("escapePath = %q, want %q", got, want)
	}
}
