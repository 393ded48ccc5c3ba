package webhook

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The test vector of the Standard Webhooks reference libraries
// (standard-webhooks/standard-webhooks, libraries/go/webhook_test.go,
// TestWebhookSign): proves the wire format interoperates.
func TestSignStandardVector(t *testing.T) {
	secret, err := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"test": 2432232314}`)
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got := Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek") // header names are case-insensitive
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", want)
	if err := Verify(secret, h, body, time.Minute, time.Unix(1614265330+30, 0)); err != nil {
		t.Fatal(err)
	}
}

func TestParseSecret(t *testing.T) {
	for _, s := range []string{"whsec_!!!", "whsec_c2hvcnQ=", ""} {
		if _, err := ParseSecret(s); err == nil {
			t.Errorf("ParseSecret(%q) accepted", s)
		}
	}
	if _, err := ParseSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err != nil {
		t.Errorf("ParseSecret without prefix: %v", err)
	}
}

// capture delivers one entry and returns the request as the receiver saw it.
func capture(t *testing.T, now time.Time) request {
	t.Helper()
	e := newEnv(t)
	r := newReceiver(t, nil)
	e.push("fraud")
	opt := fastOptions(nil)
	opt.Now = func() time.Time { return now }
	d, err := New(e.st, e.ev, []Endpoint{{URL: r.URL, Secret: testSecret}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	waitFor(t, "the delivery", func() bool { return len(r.requests()) == 1 })
	return r.requests()[0]
}

func TestVerifyDelivery(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	q := capture(t, now)
	if got := q.header.Get(HeaderTimestamp); got != strconv.FormatInt(now.Unix(), 10) {
		t.Fatalf("%s = %s, want the dispatcher's clock %d", HeaderTimestamp, got, now.Unix())
	}
	if err := Verify(testSecret, q.header, q.body, time.Minute, now.Add(30*time.Second)); err != nil {
		t.Fatalf("genuine delivery refused: %v", err)
	}

	with := func(name, v string) http.Header {
		h := q.header.Clone()
		if v == "" {
			h.Del(name)
		} else {
			h.Set(name, v)
		}
		return h
	}
	changed := bytes.Replace(q.body, []byte(`"fraud"`), []byte(`"fraue"`), 1)
	if bytes.Equal(changed, q.body) {
		t.Fatal("test body has no model to change")
	}
	good := q.header.Get(HeaderSignature)
	for _, c := range []struct {
		name   string
		secret []byte
		header http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"wrong secret", []byte("another secret of 24+ bytes!"), q.header, q.body, now, ErrSignature},
		{"changed body", testSecret, q.header, changed, now, ErrSignature},
		{"changed timestamp", testSecret, with(HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10)), q.body, now, ErrSignature},
		{"changed id", testSecret, with(HeaderID, "2"), q.body, now, ErrSignature},
		{"too old", testSecret, q.header, q.body, now.Add(time.Minute + time.Second), ErrTimestamp},
		{"from the future", testSecret, q.header, q.body, now.Add(-time.Minute - time.Second), ErrTimestamp},
		{"timestamp not a number", testSecret, with(HeaderTimestamp, "soon"), q.body, now, ErrTimestamp},
		{"signed timestamp", testSecret, with(HeaderTimestamp, "+"+q.header.Get(HeaderTimestamp)), q.body, now, ErrTimestamp},
		{"huge timestamp", testSecret, with(HeaderTimestamp, "9223372036854775807"), q.body, now, ErrTimestamp},
		{"no signature", testSecret, with(HeaderSignature, ""), q.body, now, ErrMissingHeader},
		{"no id", testSecret, with(HeaderID, ""), q.body, now, ErrMissingHeader},
		{"no timestamp", testSecret, with(HeaderTimestamp, ""), q.body, now, ErrMissingHeader},
		{"other version only", testSecret, with(HeaderSignature, "v1a,"+good[3:]), q.body, now, ErrSignature},
		{"not base64", testSecret, with(HeaderSignature, "v1,***"), q.body, now, ErrSignature},
		{"rotation list", testSecret, with(HeaderSignature, "v1,AAAA v2,x "+good+" v1,BBBB"), q.body, now, nil},
	} {
		err := Verify(c.secret, c.header, c.body, time.Minute, c.now)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
	if err := Verify(nil, q.header, q.body, time.Minute, now); err == nil {
		t.Error("Verify accepted an empty secret")
	}
	// A zero tolerance means the default, not "exactly now".
	if err := Verify(testSecret, q.header, q.body, 0, now.Add(DefaultTolerance-time.Second)); err != nil {
		t.Errorf("default tolerance: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"id":"1"}`)
	f.Add("1", "1700000000", Sign(testSecret, "1", 1700000000, body), body)
	f.Add("", "-1", "v1,", []byte{})
	f.Add("x.y", "99999999999999999999", "v1,AAAA v1a,BBBB", []byte("."))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		err := Verify(testSecret, h, body, time.Minute, now)
		if err == nil && sig != Sign(testSecret, id, now.Unix(), body) {
			// Accepting means some v1 entry matched the real MAC.
			n, perr := strconv.ParseInt(ts, 10, 64)
			if perr != nil || !bytes.Contains([]byte(sig), []byte(Sign(testSecret, id, n, body))) {
				t.Fatalf("accepted a signature it should not: id %q ts %q sig %q", id, ts, sig)
			}
		}
	})
}
