package proxy

// Model names (at most 128 bytes) and version names (at most 64): a
// letter or digit, then letters, digits, '_', '.' or '-'. The router checks
// them on every request, so by hand rather than through a regexp, which
// cost more than the rest of routing together.
const (
	maxModelName   = 128
	maxVersionName = 64
)

func plainName(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// maxSegments is more than any route has: a longer path matches nothing.
const maxSegments = 7

// splitPath splits a path without its leading "/" at each "/" into dst,
// without allocating; ok is false when it has more than maxSegments.
func splitPath(p string, dst *[maxSegments]string) (seg []string, ok bool) {
	seg = dst[:0]
	for {
		if len(seg) == maxSegments {
			return nil, false
		}
		i := 0
		for i < len(p) && p[i] != '/' {
			i++
		}
		seg = append(seg, p[:i])
		if i == len(p) {
			return seg, true
		}
		p = p[i+1:]
	}
}
