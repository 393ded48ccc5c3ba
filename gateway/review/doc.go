// Package review is the human-review queue of the runtime gateway.
//
// When a model's response policy is "review" and the extraction detectors
// flag a client, the gateway computes the (hardened) response but does not
// send it: it holds it here and answers 202 Accepted with the item's ID as
// a ticket (RFC 9110, section 15.3.3: accepted for processing, outcome not
// yet known). An administrator lists the pending items with the detector's
// evidence and approves or rejects each one; the client polls its ticket
// and receives the held response once approved, a refusal once rejected,
// or "expired" when nobody decided within the TTL. The HTTP side lives in
// gateway/proxy; this package is the queue alone.
//
// Life of an item:
//
//	pending --Decide(approve)--> approved --Collect--> collected
//	pending --Decide(reject)---> rejected
//	pending --TTL passes-------> expired
//
// and every item that left pending is forgotten KeepDecided later, so a
// client polling late learns the outcome but memory does not grow.
//
// Why the design is as it is:
//
//   - Tickets are capabilities: "rv_" and 128 bits from crypto/rand in
//     lowercase RFC 4648 base32 without padding, so a client cannot guess
//     or enumerate anyone else's. Collect also checks the principal and
//     answers ErrNotFound, not "forbidden", to another one, so even a
//     leaked ticket reveals nothing. ValidID lets the HTTP layer refuse
//     junk before a lookup.
//   - Memory is bounded: pending items overall and per principal (one
//     flagged client cannot crowd out the others), bytes per response and
//     in total, and items remembered in any state. A full queue is
//     ErrFull, and the gateway must then refuse rather than answer: the
//     queue fails closed. Held bytes are copied in and freed as soon as
//     they can no longer be sent (rejected, expired, collected).
//   - Reviewers see the evidence and a caller-supplied summary (say
//     "label 7"), never the held bytes: listing the queue is not a way to
//     read model outputs in bulk.
//   - Expiry is lazy (every call first expires and forgets what is due,
//     from a heap of deadlines) with Sweep for a periodic tick, so the
//     queue needs no goroutine of its own and nothing to stop.
//   - List pages in creation order with a cursor that is a position, not
//     an item, so pagination is stable while items are held and forgotten.
//   - Wait lets a client long-poll without a goroutine per waiter: each
//     pending item has a channel closed when it leaves pending.
package review
