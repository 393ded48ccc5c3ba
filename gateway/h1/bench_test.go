package h1

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The gateway's typical exchange: ~900 bytes of OIP JSON up, ~300 down.
var (
	benchReq  = []byte(`{"inputs":[{"name":"pixels","shape":[1,64],"datatype":"FP32","data":[` + strings.Repeat("0.0625,", 100) + `0]}],"id":"` + strings.Repeat("r", 80) + `"}`)
	benchResp = `{"model_name":"digits","model_version":"1","outputs":[{"name":"probabilities","shape":[1,10],"datatype":"FP32","data":[0.01,0.02,0.03,0.04,0.05,0.06,0.07,0.08,0.09,0.55]}],"id":"` + strings.Repeat("r", 80) + `"}`
)

// benchHTTPServer is a net/http upstream; the benchmark fails if the
// client under test opened more than one connection, since reuse is what
// is measured.
func benchHTTPServer(b *testing.B) *httptest.Server {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, benchResp)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	b.Cleanup(func() {
		srv.Close()
		if n := conns.Load(); n > 1 {
			b.Errorf("%d connections: not reused", n)
		}
	})
	return srv
}

// benchRawServer answers without allocating, so allocs/op is the client's.
func benchRawServer(b *testing.B) string {
	resp := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
		itoa(len(benchResp)) + "\r\n\r\n" + benchResp
	return newRawServer(b, answerAll(resp)).addr()
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func runDo(b *testing.B, host string) {
	c := newClient(b, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	req := &Request{Method: "POST", Host: host, Path: "/v2/models/digits/infer", ContentType: "application/json", Body: benchReq}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		resp, err := c.Do(ctx, req)
		if err != nil || len(resp.Body) != len(benchResp) {
			b.Fatal(err)
		}
	}
}

func runNetHTTP(b *testing.B, host string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(client.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+host+"/v2/models/digits/infer", bytes.NewReader(benchReq))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil || len(body) != len(benchResp) {
			b.Fatal(err)
		}
	}
}

func BenchmarkDo(b *testing.B)      { runDo(b, hostOf(benchHTTPServer(b))) }
func BenchmarkNetHTTP(b *testing.B) { runNetHTTP(b, hostOf(benchHTTPServer(b))) }

// The Raw variants talk to a server that allocates nothing, isolating
// the client's own cost.
func BenchmarkDoRaw(b *testing.B)      { runDo(b, benchRawServer(b)) }
func BenchmarkNetHTTPRaw(b *testing.B) { runNetHTTP(b, benchRawServer(b)) }

func BenchmarkReadResponse(b *testing.B) {
	msg := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Thu, 26 Nov 2026 12:00:00 GMT\r\nContent-Length: " +
		itoa(len(benchResp)) + "\r\n\r\n" + benchResp)
	rd := bytes.NewReader(msg)
	r := &reader{br: bufioReader(rd), maxHeader: DefaultMaxHeaderBytes}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		rd.Reset(msg)
		r.br.Reset(rd)
		if _, _, err := r.readResponse("POST", 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, readBufSize) }

// reportCPU reports the process's CPU time (user and system, client and
// server together) per operation: on a loaded gateway CPU, not latency,
// is what limits throughput, and the server's share is the same in both
// variants, so the difference is the client's.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
