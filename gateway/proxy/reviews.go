package proxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/modelward/modelward/gateway/auth"
	"github.com/modelward/modelward/gateway/review"
)

// The review routes: a held client polls GET /v2/reviews/{id}; the admin
// key lists (GET /admin/reviews?state=&model=&principal=&limit=&after=),
// reads (GET /admin/reviews/{id}) and decides
// (POST /admin/reviews/{id}/approve or /reject, body
// {"reviewer": "...", "note": "..."}).

// ticket is the 202 body of a held answer, and of a poll while pending.
type ticket struct {
	ReviewID string       `json:"review_id"`
	Status   review.State `json:"status"`
	Expires  string       `json:"expires"`
	Location string       `json:"location"`
}

func ticketOf(it review.Item) ticket {
	return ticket{ReviewID: it.ID, Status: it.State, Expires: it.Expires.UTC().Format("2006-01-02T15:04:05Z07:00"),
		Location: "/v2/reviews/" + it.ID}
}

// hold puts a flagged client's answer in the review queue and answers 202
// with its ticket. A full queue refuses (503): answering instead would let
// a flood of flagged queries through unreviewed.
func (g *Gateway) hold(w http.ResponseWriter, m *model, p auth.Principal, lg *reqLog, resp inferResponse, probs [][]float32) *httpError {
	body := appendInferResponse(nil, &resp)
	v := lg.verdict
	version := resp.ModelVersion
	if m.cfg.Registry != nil {
		version = g.servedVersion(m) // the registry's number, checked again on collection
	}
	it, err := g.reviews.Hold(p.ID, m.cfg.Name, version, review.Evidence{Detector: v.Detector, Reason: v.Reason(), Score: v.Score},
		fmt.Sprintf("%d row(s); the model's label of the first: %d", len(probs), argmax(probs[0])), body)
	if err != nil {
		g.metrics.inc(mBlocked, "model", m.cfg.Name, "reason", "review-queue-full")
		return &httpError{status: http.StatusServiceUnavailable, msg: "the answer needs human review and the review queue is full: " + err.Error(),
			retryAfter: g.cfg.Review.TTL}
	}
	g.metrics.inc(mHeld, "model", m.cfg.Name, "detector", v.Detector)
	t := ticketOf(it)
	w.Header().Set("Location", t.Location)
	writeJSON(w, http.StatusAccepted, t)
	return nil
}

// collect answers a client's poll of its ticket: the held answer once
// approved, 202 while pending, 403 rejected, 410 expired or collected.
// Another principal's ticket is 404, like a ticket that never was.
func (g *Gateway) collect(w http.ResponseWriter, id string, p auth.Principal) *httpError {
	// A held answer obeys the kill switch and the registry like a fresh
	// one: while its model is disabled, not deployed, or deployed in
	// another version, it stays held.
	if it, ok := g.reviews.Get(id); ok && it.Principal == p.ID && it.State == review.StateApproved {
		if m, known := g.models[it.Model]; known {
			if e := g.available(m); e != nil {
				return e
			}
			if m.cfg.Registry != nil && it.Version != g.servedVersion(m) {
				return fail(http.StatusConflict, "the held answer came from version %q of model %q, which is no longer served", it.Version, it.Model)
			}
		}
	}
	it, body, err := g.reviews.Collect(id, p.ID)
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return nil
	case errors.Is(err, review.ErrPending):
		writeJSON(w, http.StatusAccepted, ticketOf(it))
		return nil
	case errors.Is(err, review.ErrRejected):
		return fail(http.StatusForbidden, "a reviewer rejected this answer")
	case errors.Is(err, review.ErrExpired):
		return fail(http.StatusGone, "nobody reviewed this answer in time; it was discarded")
	case errors.Is(err, review.ErrCollected):
		return fail(http.StatusGone, "this answer was already collected")
	}
	return fail(http.StatusNotFound, "no such review")
}

// reviewAdmin serves the reviewers' routes (admin key only).
func (g *Gateway) reviewAdmin(w http.ResponseWriter, r *http.Request, rt route) *httpError {
	switch rt.kind {
	case routeReviewList:
		q := r.URL.Query()
		limit := 0
		if s := q.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return fail(http.StatusBadRequest, "limit must be a number")
			}
			limit = n
		}
		items, next, err := g.reviews.List(review.Filter{State: review.State(q.Get("state")), Model: q.Get("model"),
			Principal: q.Get("principal"), Limit: limit, After: q.Get("after")})
		if err != nil {
			return fail(http.StatusBadRequest, "%s", err.Error())
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": next})
		return nil
	case routeReviewGet:
		it, ok := g.reviews.Get(rt.id)
		if !ok {
			return fail(http.StatusNotFound, "no such review")
		}
		writeJSON(w, http.StatusOK, it)
		return nil
	}
	var d struct {
		Reviewer string `json:"reviewer"`
		Note     string `json:"note"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 8<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return fail(http.StatusBadRequest, "the body must be {\"reviewer\": \"...\", \"note\": \"...\"}")
	}
	it, err := g.reviews.Decide(rt.id, rt.kind == routeApprove, d.Reviewer, d.Note)
	switch {
	case errors.Is(err, review.ErrNotFound):
		return fail(http.StatusNotFound, "no such review")
	case errors.Is(err, review.ErrDecided), errors.Is(err, review.ErrExpired):
		return fail(http.StatusConflict, "%s", err.Error())
	case err != nil:
		return fail(http.StatusBadRequest, "%s", err.Error())
	}
	g.log.Info("review decided", "review", it.ID, "model", it.Model, "principal", it.Principal,
		"state", string(it.State), "reviewer", it.Reviewer)
	writeJSON(w, http.StatusOK, it)
	return nil
}
