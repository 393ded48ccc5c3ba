// Package telemetry records one prediction per request for the monitoring
// that reads them later: which client asked which model version, a digest
// of the input row, the label and confidence the model itself produced, what
// the detectors said and the HTTP status the client got.
//
// The gateway writes a Record through a Sink on the request path, so a Sink
// must cost the request nearly nothing and must never fail it: Write only
// enqueues into a bounded queue, and when the queue is full (the disk is
// slow or gone) the record is dropped and counted rather than making the
// client wait. Losing monitoring data is better than losing availability,
// and the drop counters make the loss visible as Prometheus metrics.
//
// File is the first Sink: a local file in JSON Lines form (one JSON object
// per line, UTF-8, "\n" terminated; https://jsonlines.org/ and RFC 8259 for
// JSON itself), written by one background goroutine through a buffer that is
// flushed every FlushInterval and on Close, rotated by size (Path, Path.1 …
// Path.Keep, the oldest dropped) in the manner of logrotate, and created
// 0600 because records name clients. A record is never split across files:
// rotation happens between lines.
//
// Records can be sampled. The decision is HMAC-SHA-256 of the input digest
// and the client under a secret key, not a random draw, so it is the same
// on every replica sharing the key and after a restart, and a repeated
// query is either always recorded or never: repeat counts in the sample
// stay exact, which is what near-duplicate and probing analyses need. The
// key keeps clients from computing which of their queries escape the
// sample; without one configured, each File draws its own.
//
// Read is the monitor's side: it decodes JSON Lines strictly (bounded line
// length, exact field names, no unknown or repeated fields, no trailing
// data), because the file is input like any other and a record that does
// not look exactly like what the writer produces is refused, not guessed at.
//
// The input digest is "sha256:" followed by the hexadecimal SHA-256 (FIPS
// 180-4) of the row's float32 values as IEEE 754 binary32 little-endian
// bytes, so the monitor can join records on identical inputs without the
// gateway storing any input.
package telemetry
