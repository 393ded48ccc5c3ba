package h1

import (
	"bufio"
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// An upstream that sends bytes after an answer (an unsolicited second
// response here) poisons the connection while it sits idle: the next
// request must not take those bytes for its answer, and no later request
// may receive the answer of the one before it.
func TestStrayBytesOnIdleConnection(t *testing.T) {
	var count atomic.Int32 // requests over all connections
	srv := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		for readRequest(br) == nil {
			n := int(count.Add(1))
			body := "req" + string(rune('0'+n))
			if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n" + body)); err != nil {
				return
			}
			if n == 1 {
				// After the client has read and pooled the connection, one
				// more (unsolicited) response arrives.
				time.Sleep(50 * time.Millisecond)
				_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nXTRA"))
			}
		}
	})
	c := newClient(t, Config{})
	r1, err := do(t, c, post(srv.addr()))
	if err != nil || string(r1.Body) != "req1" {
		t.Fatalf("first: %v", err)
	}
	time.Sleep(150 * time.Millisecond) // the stray bytes are now in the idle socket
	var got []string
	for i := 0; i < 3; i++ {
		r, err := do(t, c, post(srv.addr()))
		if err != nil {
			got = append(got, "err:"+err.Error())
			continue
		}
		got = append(got, string(r.Body))
	}
	// A correct client answers each request with its own response (or an
	// error for the poisoned connection, then a fresh one): req2, req3, req4
	// or an error followed by fresh answers, never "XTRA" or an off-by-one.
	want := []string{"req2", "req3", "req4"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("requests 2..4 got %q, want %q: the poisoned connection was reused", got, want)
		}
	}
}

// A connection whose last request's deadline has passed is still reused:
// the idle probe must not be refused by that stale deadline.
func TestReuseAfterDeadlinePassed(t *testing.T) {
	srv := newRawServer(t, answerAll("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	c := newClient(t, Config{})
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		if _, err := c.Do(ctx, post(srv.addr())); err != nil {
			t.Fatal(err)
		}
		cancel()
		time.Sleep(100 * time.Millisecond) // past the deadline
	}
	if n := srv.accepts.Load(); n != 1 {
		t.Fatalf("%d connections for 3 requests in a row, want 1", n)
	}
}
