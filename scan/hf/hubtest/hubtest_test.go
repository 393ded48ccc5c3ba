package hubtest

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

func repoDir(t *testing.T) string {
	dir := t.TempDir()
	for name, data := range map[string]string{"small.txt": "hello", "big.bin": strings.Repeat("x", 1000), ".git/HEAD": "ref"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestModelInfoAndRanges(t *testing.T) {
	s := New(t, WithRepo("org/m", commit, repoDir(t), "main"), WithLFSRedirect(100))
	resp, body := get(t, s.URL+"/api/models/org/m/revision/main?blobs=true", nil)
	var mi modelInfoJSON
	if err := json.Unmarshal([]byte(body), &mi); err != nil || resp.StatusCode != 200 || mi.SHA != commit || len(mi.Siblings) != 2 {
		t.Fatalf("model info %d %s: %v", resp.StatusCode, body, err)
	}
	resp, body = get(t, s.URL+"/org/m/resolve/"+commit+"/small.txt", map[string]string{"Range": "bytes=1-3"})
	if resp.StatusCode != 206 || body != "ell" || resp.Header.Get("Content-Range") != "bytes 1-3/5" ||
		resp.Header.Get("X-Repo-Commit") != commit {
		t.Errorf("range: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, _ = get(t, s.URL+"/org/m/resolve/main/small.txt", map[string]string{"Range": "bytes=10-20"})
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("out of range: %d", resp.StatusCode)
	}
	resp, body = get(t, s.URL+"/org/m/resolve/main/big.bin", map[string]string{"Range": "bytes=0-9", "Authorization": "Bearer x"})
	if resp.StatusCode != 206 || body != "xxxxxxxxxx" || !strings.HasPrefix(resp.Request.URL.String(), s.CDNURL) {
		t.Errorf("LFS redirect: %d %q %s", resp.StatusCode, body, resp.Request.URL)
	}
	if s.BytesServed("small.txt") != 3 || s.BytesServed("big.bin") != 10 || s.Requests() != 5 {
		t.Errorf("counters: %d %d %d", s.BytesServed("small.txt"), s.BytesServed("big.bin"), s.Requests())
	}
	for _, p := range []string{"/org/m/resolve/main/.git/HEAD", "/org/m/resolve/main/../../etc/passwd", "/org/m/resolve/v2/small.txt"} {
		if resp, _ := get(t, s.URL+p, nil); resp.StatusCode != 404 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

func TestAuthAndFaults(t *testing.T) {
	s := New(t, WithRepo("org/m", commit, repoDir(t), "main"), WithToken("tok"), WithFailures(1, 429))
	url := s.URL + "/api/models/org/m/revision/main"
	if resp, _ := get(t, url, nil); resp.StatusCode != 429 {
		t.Errorf("injected failure: %d", resp.StatusCode)
	}
	if resp, _ := get(t, url, nil); resp.StatusCode != 401 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	if resp, _ := get(t, url, map[string]string{"Authorization": "Bearer bad"}); resp.StatusCode != 404 {
		t.Errorf("bad token: %d", resp.StatusCode)
	}
	if resp, _ := get(t, url, map[string]string{"Authorization": "Bearer tok"}); resp.StatusCode != 200 {
		t.Errorf("good token: %d", resp.StatusCode)
	}
}
