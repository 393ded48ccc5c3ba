// Package h1 is a lean HTTP/1.1 client for the runtime gateway's calls to
// its model servers (upstreams). It replaces net/http's Transport on the
// gateway's hot path.
//
// Why: net/http's client hands every request between goroutines (a
// persistent connection's write and read loops, woken through futexes) and
// allocates header maps and request state, which costs several times what
// forwarding a small JSON inference needs. The gateway's upstream calls are
// simple: POST or GET a small body to a known plain-HTTP upstream, read a
// bounded answer of a few KB, keep the connection alive. This client does
// the write and the read on the calling goroutine over a pooled net.Conn,
// with one write per request and one bufio.Reader per connection; a
// cancelled context interrupts blocking I/O through context.AfterFunc and
// a past deadline, so no goroutine is started per request.
//
// Only plain http:// upstreams are spoken to: the caller keeps net/http for
// https upstreams (TLS, proxies and redirects are out of scope here).
//
// Responses are parsed as RFC 9112 (HTTP/1.1 message syntax) prescribes,
// strictly, because the upstream is as hostile as any input:
//
//   - status line (section 4): "HTTP/1.1" or "HTTP/1.0", three digits;
//     1xx interim responses (RFC 9110, section 15.2) are skipped, a bounded
//     number of them; 101 is refused since the client never upgrades;
//   - field lines (section 5): bounded total size and count, no obs-fold
//     (section 5.2), no whitespace between name and colon (section 5.1),
//     no CR, LF or NUL in values (RFC 9110, section 5.5);
//   - body length (section 6.3): none for HEAD, 204 and 304; chunked
//     (section 7.1, extensions ignored, trailers read and dropped within
//     bounds); Content-Length (section 6.2; a list or repetition of one
//     value is accepted, differing values are not); otherwise until close.
//     Content-Length together with Transfer-Encoding, Transfer-Encoding
//     other than "chunked", and Transfer-Encoding in HTTP/1.0 are refused:
//     they are the shapes of request smuggling and response splitting;
//   - persistence (section 9.3): a connection is reused only after an
//     HTTP/1.1 response was read completely, neither side asked to close,
//     nothing unexpected followed the response and no error happened.
//     HTTP/1.0 connections are never reused. Before an idle connection is
//     reused it is probed (one non-blocking peek): anything that arrived
//     while it sat idle, bytes or EOF, retires it, so stray bytes are
//     never read as the next request's answer.
//
// A request that fails on a connection taken from the idle pool before any
// byte of the answer arrived is retried once on a fresh connection (RFC
// 9112, section 9.3.1): see Client.Do for why that is safe for inference.
package h1
