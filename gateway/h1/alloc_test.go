//go:build !race

package h1

import (
	"context"
	"testing"
	"time"
)

// TestAllocsReusePath holds the point of the package: on a reused
// connection, Do allocates the body (which shares its allocation with
// the header copy), the Response, and context.AfterFunc's two; nothing
// per header field or per request buffer. The server allocates nothing.
func TestAllocsReusePath(t *testing.T) {
	host := newRawServer(t, answerAll("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")).addr()
	c := newClient(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	req := post(host)
	if _, err := c.Do(ctx, req); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := c.Do(ctx, req); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 4 {
		t.Fatalf("%.1f allocations per Do, want at most 4 (3 plus the body)", allocs)
	}
}
