package h1

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// rawServer accepts connections on 127.0.0.1 and runs serve on each; it
// counts accepted connections so tests can see reuse.
type rawServer struct {
	ln      net.Listener
	accepts atomic.Int32
	wg      sync.WaitGroup
}

func newRawServer(t testing.TB, serve func(c net.Conn, br *bufio.Reader)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepts.Add(1)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *rawServer) addr() string { return s.ln.Addr().String() }

// answerAll answers every request on a connection with resp, until the
// client closes it.
func answerAll(resp string) func(net.Conn, *bufio.Reader) {
	b := []byte(resp) // converted once: benchmarks count allocations
	return func(c net.Conn, br *bufio.Reader) {
		for readRequest(br) == nil {
			if _, err := c.Write(b); err != nil {
				return
			}
		}
	}
}

// readRequest reads one request head and its Content-Length body; it
// is the test servers' side, trusting the client under test, and
// allocates nothing so that benchmarks count the client's allocations.
func readRequest(br *bufio.Reader) error {
	n := 0
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) == 2 && line[0] == '\r' {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	_, err := br.Discard(n)
	return err
}

func newClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func post(host string) *Request {
	return &Request{Method: "POST", Host: host, Path: "/v2/models/m/infer",
		ContentType: "application/json", Body: []byte(`{"inputs":[]}`)}
}

func do(t testing.TB, c *Client, req *Request) (*Response, error) {
	t.Helper()
	return c.Do(context.Background(), req)
}

// answerOnceThenClose answers one request and, unless the response says
// Connection: close, keeps the connection open until the client leaves.
func answerOnceThenClose(resp string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, br *bufio.Reader) {
		if readRequest(br) != nil {
			return
		}
		if _, err := io.WriteString(c, resp); err != nil {
			return
		}
		if !strings.Contains(resp, "Connection: close") {
			_, _ = io.Copy(io.Discard, br) // the client closes
		}
	}
}
