// Package webhook delivers registry events to HTTP endpoints, signed.
//
// Every change to the registry is an entry of its audit log, so the log is
// the event stream: a Dispatcher reads it from the Store by sequence number
// and POSTs each entry, in order and at least once, to every Endpoint whose
// filters match. The in-process broker (registry.Events) only wakes the
// dispatcher up; what is sent is always read back from the store, so an
// event the broker dropped, or one written by another server instance, is
// still delivered (the latter within Options.Poll). Each endpoint keeps its
// own cursor (the last sequence number it is done with) in a CursorStore,
// so a restart resumes where delivery stopped; an entry in flight when the
// process stopped may be sent twice, and receivers should use Webhook-Id as
// an idempotency key.
//
// # Wire format
//
// Requests follow the Standard Webhooks specification, version 1.0.0
// (https://github.com/standard-webhooks/standard-webhooks, file
// spec/standard-webhooks.md, "Signature scheme" and "Webhook headers"):
//
//	POST <endpoint URL>
//	Content-Type: application/json
//	User-Agent: modelward
//	Webhook-Id: <seq>
//	Webhook-Timestamp: <unix seconds of this attempt>
//	Webhook-Signature: v1,<base64 of HMAC-SHA256(secret, "<seq>.<timestamp>.<body>")>
//
//	{"id":"<seq>","type":"<action>","time":"<entry time, RFC 3339>","entry":{...registry.AuditEntry...}}
//
// The id is the entry's sequence number in decimal; it stays the same on
// every retry, while the timestamp is that of the attempt. The signature
// header is a space-separated list as the specification allows (for secret
// rotation); this package sends one "v1" signature and Verify accepts any
// matching "v1" entry of the list. The secret is raw bytes; ParseSecret
// reads the specification's "whsec_<base64>" form.
//
// # Delivery
//
// A 2xx response delivers the entry. 408, 425, 429, 5xx and network errors
// are retried with exponential backoff and full jitter (a 429 or 503
// Retry-After is honoured, bounded by MaxBackoff); after MaxAttempts the
// entry is logged as skipped and delivery moves on. Any other status
// (3xx, other 4xx) is a misconfigured endpoint: the entry is logged as
// skipped at once. Redirects are never followed: a receiver that
// redirects is misconfigured or trying to point the registry's requests
// somewhere else (SSRF). Endpoints are independent: each has its own
// goroutine, so a dead endpoint delays only itself.
//
// Receivers check requests with Verify.
package webhook
