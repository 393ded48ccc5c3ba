package h1

import (
	"errors"
	"io"
	"testing"
)

// The scripted answers below are exact bytes on the wire.
func TestScriptedResponses(t *testing.T) {
	cases := []struct {
		name, resp string
		status     int
		body       string
		err        error // errors.Is target; nil for success
		keep       bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", 200, "{}", nil, true},
		{"no reason", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", 200, "ok", nil, true},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 200, "ok", nil, true},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n", 200, "abcde", nil, true},
		{"chunked upper hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", 200, "0123456789", nil, true},
		{"repeated same length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok", 200, "ok", nil, true},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok", 200, "ok", nil, false},
		{"close delimited", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close", 200, "until close", nil, false},
		{"http/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok", nil, false},
		{"http/1.0 close delimited", "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nbody", 200, "body", nil, false},
		{"204", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 204, "", nil, true},
		{"304", "HTTP/1.1 304 Not Modified\r\n\r\n", 304, "", nil, true},
		{"100 continue", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok", nil, true},
		{"trailing garbage", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n", 200, "ok", nil, false},
		{"CL and TE", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, "", ErrMalformed, false},
		{"two CLs", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nokk", 0, "", ErrMalformed, false},
		{"CL list differs", "HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nokk", 0, "", ErrMalformed, false},
		{"bad CL", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", 0, "", ErrMalformed, false},
		{"CL trailing comma", "HTTP/1.1 200 OK\r\nContent-Length: 2,\r\n\r\nok", 0, "", ErrMalformed, false},
		{"huge CL", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nok", 0, "", ErrMalformed, false},
		{"obs-fold", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok", 0, "", ErrMalformed, false},
		{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", 0, "", ErrMalformed, false},
		{"gzip TE", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 0, "", ErrMalformed, false},
		{"TE in 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, "", ErrMalformed, false},
		{"bare CR", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok", 0, "", ErrMalformed, false},
		{"HTTP/2 status", "HTTP/2 200 OK\r\n\r\n", 0, "", ErrMalformed, false},
		{"short code", "HTTP/1.1 20 OK\r\n\r\n", 0, "", ErrMalformed, false},
		{"101", "HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, "", ErrMalformed, false},
		{"too many 1xx", repeat("HTTP/1.1 100 Continue\r\n\r\n", 20) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, "", ErrMalformed, false},
		{"chunk without end", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n", 0, "", ErrMalformed, false},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, "", ErrMalformed, false},
		{"chunk line too long", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + repeat("e", 5000) + "\r\na\r\n0\r\n\r\n", 0, "", ErrMalformed, false},
		{"too many trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + repeat("T: v\r\n", 101) + "\r\n", 0, "", ErrMalformed, false},
		{"bad trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT : v\r\n\r\n", 0, "", ErrMalformed, false},
		{"chunk size overflow", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 0, "", ErrMalformed, false},
		{"short body", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\nok", 0, "", io.ErrUnexpectedEOF, false},
		{"too large CL", "HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n", 0, "", ErrTooLarge, false},
		{"too large chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + repeat("a", 64) + "\r\n1\r\nb\r\n0\r\n\r\n", 0, "", ErrTooLarge, false},
		{"too large close", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + repeat("a", 65), 0, "", ErrTooLarge, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRawServer(t, answerOnceThenClose(tc.resp))
			c := newClient(t, Config{})
			req := post(srv.addr())
			req.MaxResponseBytes = 64
			resp, err := do(t, c, req)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if resp.Status != tc.status || string(resp.Body) != tc.body {
				t.Fatalf("got %d %q, want %d %q", resp.Status, resp.Body, tc.status, tc.body)
			}
			if got := c.idleCount(srv.addr()) == 1; got != tc.keep {
				t.Fatalf("kept = %v, want %v", got, tc.keep)
			}
		})
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
