package review

import (
	"errors"
	"time"
)

// State is where an item is in its life: pending until a reviewer decides
// or the TTL passes, then approved, rejected or expired; an approved item
// becomes collected once its client has fetched the held response.
type State string

// The states of an item.
const (
	StatePending   State = "pending"
	StateApproved  State = "approved"
	StateRejected  State = "rejected"
	StateExpired   State = "expired"
	StateCollected State = "collected"
)

// valid reports whether s is one of the five states.
func (s State) valid() bool {
	switch s {
	case StatePending, StateApproved, StateRejected, StateExpired, StateCollected:
		return true
	}
	return false
}

// Evidence is why the detectors flagged the client, shown to the reviewer.
type Evidence struct {
	Detector string  `json:"detector"`
	Reason   string  `json:"reason"`
	Score    float64 `json:"score"`
}

// Item is what a reviewer and a client see of a held response. The held
// bytes are deliberately not part of it: listing the queue must not leak
// the model's answers in bulk, so the caller supplies a Summary (say
// "label 7") for the reviewer instead.
type Item struct {
	ID            string    `json:"id"`
	Principal     string    `json:"principal"`
	Model         string    `json:"model"`
	Version       string    `json:"version,omitempty"`
	Created       time.Time `json:"created"`
	Expires       time.Time `json:"expires"`
	Evidence      Evidence  `json:"evidence"`
	Summary       string    `json:"summary,omitempty"`
	State         State     `json:"state"`
	Reviewer      string    `json:"reviewer,omitempty"`
	Note          string    `json:"note,omitempty"`
	Decided       time.Time `json:"decided,omitzero"`
	ResponseBytes int       `json:"response_bytes"`
}

// Stats counts the items the queue remembers, by state, and the response
// bytes it holds (pending and approved-but-uncollected items).
type Stats struct {
	Pending   int   `json:"pending"`
	Approved  int   `json:"approved"`
	Rejected  int   `json:"rejected"`
	Expired   int   `json:"expired"`
	Collected int   `json:"collected"`
	HeldBytes int64 `json:"held_bytes"`
}

// Errors, matched with errors.Is; most are wrapped with detail.
var (
	// ErrFull: a count or byte limit would be exceeded; the gateway should
	// refuse the request rather than send the flagged response.
	ErrFull = errors.New("review: queue full")
	// ErrInvalid: a malformed argument (empty or oversized field, bad
	// filter or cursor, non-finite score).
	ErrInvalid = errors.New("review: invalid argument")
	// ErrNotFound: no such item, or not one the caller may see.
	ErrNotFound = errors.New("review: no such item")
	// ErrDecided: a reviewer already decided the item.
	ErrDecided = errors.New("review: already decided")
	// ErrExpired: the item waited longer than the TTL for a decision.
	ErrExpired = errors.New("review: expired before a decision")
	// ErrPending: no decision yet; poll again.
	ErrPending = errors.New("review: pending")
	// ErrRejected: a reviewer refused to release the response.
	ErrRejected = errors.New("review: rejected")
	// ErrCollected: the response was already handed out once.
	ErrCollected = errors.New("review: already collected")
)
