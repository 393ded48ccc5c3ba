// Command baseline is two reference proxies for bench/gateway.sh, to show
// where a proxy's cost per request comes from on the benchmark's machine.
// Neither is for use: they check nothing, and listen on loopback only.
//
//   - -mode reverseproxy: net/http's server and httputil.ReverseProxy with
//     default settings (idle connections raised to the benchmark's load),
//     the proxy a Go user would otherwise write.
//   - -mode floor: the least any Go proxy must do per request. A
//     hand-written HTTP/1.1 loop reads a request line, the headers up to
//     the blank line and a Content-Length body, forwards the body through
//     gateway/h1 (the gateway's own upstream client) and writes the answer
//     back, with no validation, authentication or logging. Its cost per
//     request is the runtime's and the kernel's share, which no feature of
//     the gateway can avoid.
//
// Usage: baseline -mode floor|reverseproxy -listen 127.0.0.1:PORT -upstream 127.0.0.1:PORT
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"strconv"

	"github.com/modelward/modelward/gateway/h1"
)

func main() {
	mode := flag.String("mode", "floor", "floor or reverseproxy")
	listen := flag.String("listen", "127.0.0.1:18600", "loopback address to listen on")
	upstream := flag.String("upstream", "127.0.0.1:18500", "upstream host:port")
	flag.Parse()
	if err := run(*mode, *listen, *upstream); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(mode, listen, upstream string) error {
	ap, err := netip.ParseAddrPort(listen)
	if err != nil || !ap.Addr().IsLoopback() {
		return fmt.Errorf("-listen %q: give a loopback address such as 127.0.0.1:18600; these proxies check nothing", listen)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	switch mode {
	case "reverseproxy":
		rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: upstream})
		rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
		rp.ErrorLog = log.New(io.Discard, "", 0) // wrk's closed connections at the end of a run
		return http.Serve(ln, rp)
	case "floor":
		client, err := h1.New(h1.Config{MaxIdlePerHost: 256})
		if err != nil {
			return err
		}
		for {
			nc, err := ln.Accept()
			if err != nil {
				return err
			}
			go serveFloor(nc, client, upstream)
		}
	default:
		return fmt.Errorf("-mode %q: floor or reverseproxy", mode)
	}
}

// serveFloor answers the requests of one connection until it closes or
// sends something the loop does not understand.
func serveFloor(nc net.Conn, client *h1.Client, upstream string) {
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 4096)
	out := make([]byte, 0, 1024)
	for {
		method, path, body, err := readRequest(br)
		if err != nil {
			return
		}
		resp, err := client.Do(context.Background(), &h1.Request{Method: method, Host: upstream,
			Path: path, ContentType: "application/json", Body: body})
		if err != nil {
			return
		}
		out = append(out[:0], "HTTP/1.1 "...)
		out = strconv.AppendInt(out, int64(resp.Status), 10)
		out = append(out, " \r\nContent-Type: application/json\r\nContent-Length: "...)
		out = strconv.AppendInt(out, int64(len(resp.Body)), 10)
		out = append(out, "\r\n\r\n"...)
		out = append(out, resp.Body...)
		if _, err := nc.Write(out); err != nil {
			return
		}
	}
}

// readRequest reads one request: its method, its target and its
// Content-Length body of at most 1 MiB.
func readRequest(br *bufio.Reader) (method, path string, body []byte, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return "", "", nil, err
	}
	f := bytes.Fields(line)
	if len(f) != 3 {
		return "", "", nil, errors.New("bad request line")
	}
	method, path = string(f[0]), string(f[1])
	n := 0
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return "", "", nil, err
		}
		if len(bytes.TrimSpace(h)) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if ok && bytes.EqualFold(name, []byte("Content-Length")) {
			if n, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil || n < 0 || n > 1<<20 {
				return "", "", nil, errors.New("bad Content-Length")
			}
		}
	}
	body = make([]byte, n)
	_, err = io.ReadFull(br, body)
	return method, path, body, err
}
