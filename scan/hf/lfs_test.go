package hf

import (
	"strings"
	"testing"
)

func TestIsLFSPointer(t *testing.T) {
	oid := strings.Repeat("4d", 32)
	ptr := "version https://git-lfs.github.com/spec/v1\noid sha256:" + oid + "\nsize 12345\n"
	yes := []string{
		ptr,
		"version https://git-lfs.github.com/spec/v1\next-0-foo sha256:x\noid sha256:" + oid + "\nsize 0\n",
		"version https://hawser.github.com/spec/v1\noid sha256:" + oid + "\nsize 1\n",
	}
	for _, s := range yes {
		if !IsLFSPointer([]byte(s)) {
			t.Errorf("not recognised: %q", s)
		}
	}
	no := []string{
		"",
		strings.TrimSuffix(ptr, "\n"), // last line unterminated
		strings.Replace(ptr, "size 12345", "size -1", 1), // bad size
		strings.Replace(ptr, "size 12345", "size 1e3", 1),
		strings.Replace(ptr, oid, oid[:63], 1),             // short oid
		strings.Replace(ptr, oid, strings.ToUpper(oid), 1), // not lowercase hex
		strings.Replace(ptr, "sha256:", "md5:", 1),
		"oid sha256:" + oid + "\nversion https://git-lfs.github.com/spec/v1\nsize 1\n", // version not first
		strings.Replace(ptr, "size 12345\n", "", 1),                                    // no size
		ptr + "Bad Key x\n",
		ptr + strings.Repeat("x", 1024),
		"PK\x03\x04" + ptr,
		"\x80\x02}q\x00.",
	}
	for _, s := range no {
		if IsLFSPointer([]byte(s)) {
			t.Errorf("wrongly recognised: %q", s)
		}
	}
}
