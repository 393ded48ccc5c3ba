package h1

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// captureResponses records the exact bytes net/http servers send for a
// Content-Length, a chunked and a close-delimited (HTTP/1.0) answer.
func captureResponses(tb testing.TB) [][]byte {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/stream" {
			_, _ = io.WriteString(w, `{"outputs":[`)
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, `{"name":"probabilities","data":[0.1,0.9]}]}`)
			return
		}
		_, _ = io.WriteString(w, `{"model_name":"digits","outputs":[{"name":"probabilities","shape":[1,2],"datatype":"FP32","data":[0.1,0.9]}]}`)
	}))
	defer srv.Close()
	var out [][]byte
	for _, req := range []string{
		"POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /stream HTTP/1.0\r\nHost: x\r\n\r\n",
		"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	} {
		c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = io.WriteString(c, req)
		b, _ := io.ReadAll(c)
		c.Close()
		out = append(out, b)
	}
	return out
}

func FuzzReadResponse(f *testing.F) {
	for _, b := range captureResponses(f) {
		f.Add(b, false, uint16(4096))
		f.Add(b, true, uint16(64))
	}
	for _, s := range []string{
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nbody",
		"HTTP/1.1 200 OK\nContent-Length: 2, 2\n\nok",
	} {
		f.Add([]byte(s), false, uint16(16))
	}
	f.Fuzz(func(t *testing.T, data []byte, head bool, max uint16) {
		method := "POST"
		if head {
			method = "HEAD"
		}
		r := &reader{br: bufio.NewReaderSize(bytes.NewReader(data), readBufSize), maxHeader: 1024}
		resp, kind, _, err := r.read(method, int64(max))
		if err != nil {
			return
		}
		checkFraming(t, r, resp, kind, int64(max))
	})
}

// checkFraming verifies an accepted response against its own framing.
func checkFraming(t *testing.T, r *reader, resp *Response, kind bodyKind, max int64) {
	if resp.Status < 200 || resp.Status > 599 || int64(len(resp.Body)) > max {
		t.Fatalf("status %d, body %d bytes over %d", resp.Status, len(resp.Body), max)
	}
	fr, err := parseFields(resp.header, resp.Proto == "HTTP/1.0")
	if err != nil {
		t.Fatalf("accepted fields fail to parse again: %v", err)
	}
	switch kind {
	case bodyNone:
		if len(resp.Body) != 0 {
			t.Fatal("a body where none may be")
		}
	case bodyLength:
		if int64(len(resp.Body)) != fr.length || fr.chunked {
			t.Fatalf("body of %d bytes, Content-Length %d", len(resp.Body), fr.length)
		}
	case bodyChunked:
		if !fr.chunked || fr.length >= 0 {
			t.Fatal("chunked body without a lone chunked framing")
		}
	case bodyClose:
		if n, _ := r.br.Read(make([]byte, 1)); n != 0 || fr.chunked || fr.length >= 0 {
			t.Fatal("a close-delimited body stopped before the end")
		}
	}
}
