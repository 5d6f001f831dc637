// Package events is where camera events go once a camera has seen them: the
// store (with a webhook outbox written in the same transaction), live
// subscribers (Server-Sent Events), signed webhooks delivered from the
// outbox with retries, and a relay call to a door controller on "granted".
package events

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of a webhook or relay request.
const (
	SignatureHeader = "Mien-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
	EventIDHeader   = "Mien-Event-Id"  // the event's stable id: receivers de-duplicate on it
)

// Sign returns the signature header's value for body sent at ts.
func Sign(secret []byte, ts time.Time, body []byte) string {
	t := strconv.FormatInt(ts.Unix(), 10)
	return "t=" + t + ",v1=" + mac(secret, t, body)
}

func mac(secret []byte, t string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(t))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// ErrSignature is returned by Verify for a missing, malformed, wrong or
// stale signature.
var ErrSignature = errors.New("events: webhook signature does not verify")

// Verify checks a signature header against body: the HMAC must match and
// the timestamp must be within tolerance of now (a replayed old request is
// refused). Receivers in other languages do the same (docs/cameras.md).
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var t, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			t = v
		case "v1":
			sig = v
		}
	}
	ts, err := strconv.ParseInt(t, 10, 64)
	if err != nil || sig == "" {
		return fmt.Errorf("%w: malformed header", ErrSignature)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %s is outside %s of now", ErrSignature, time.Unix(ts, 0).UTC().Format(time.RFC3339), tolerance)
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, t, body))) {
		return ErrSignature
	}
	return nil
}
