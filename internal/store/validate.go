package store

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrInvalid is returned for input the store refuses: names and ids that are
// too long or hold control or bidirectional-override characters, consent
// dates outside a sane window.
var ErrInvalid = errors.New("store: invalid input")

// Limits on what the store accepts as text.
const (
	MaxName = 256  // names, external ids, collection and tenant names (characters)
	MaxNote = 1024 // consent purposes and evidence references (characters)
)

// Consent dates are accepted within these bounds.
var (
	earliestConsent = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxConsentSpan  = 3653 * 24 * time.Hour // about ten years from now
	clockSkew       = 5 * time.Minute
)

// CheckText says why a name or id cannot be stored: it must be valid UTF-8
// of at most max characters, without control characters (NUL, newlines,
// escapes) or the invisible characters that reorder text (bidirectional
// overrides, embeddings, isolates and marks), with which a name can be made
// to read as another.
func CheckText(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return fmt.Errorf("%w: %s is %d characters long, over the limit of %d", ErrInvalid, field, n, max)
	}
	for i, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %s holds a control character (U+%04X at byte %d)", ErrInvalid, field, r, i)
		}
		if isBidiControl(r) {
			return fmt.Errorf("%w: %s holds a bidirectional control character (U+%04X at byte %d)", ErrInvalid, field, r, i)
		}
	}
	return nil
}

// isBidiControl reports the characters of Unicode's Bidi_Control property.
func isBidiControl(r rune) bool {
	switch {
	case r == 0x061C, r == 0x200E, r == 0x200F:
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// checkTexts checks several fields at once: field, value, limit, ...
func checkTexts(fields ...any) error {
	for i := 0; i+2 < len(fields); i += 3 {
		if err := CheckText(fields[i].(string), fields[i+1].(string), fields[i+2].(int)); err != nil {
			return err
		}
	}
	return nil
}

// checkDates says why a consent record's dates cannot be accepted at now:
// consented_at from 2000 up to now (with a little clock skew), expires_at
// in the future, after consented_at and at most about ten years away.
func (c Consent) checkDates(now time.Time) error {
	switch {
	case c.ConsentedAt.IsZero() || c.ConsentedAt.After(now.Add(clockSkew)):
		return fmt.Errorf("%w: consented_at is missing or in the future", ErrConsent)
	case c.ConsentedAt.Before(earliestConsent):
		return fmt.Errorf("%w: consented_at %s is before 2000", ErrInvalid, c.ConsentedAt.UTC().Format(time.RFC3339))
	case !c.ExpiresAt.After(now):
		return fmt.Errorf("%w: expires_at must be in the future", ErrConsent)
	case !c.ExpiresAt.After(c.ConsentedAt):
		return fmt.Errorf("%w: expires_at must be after consented_at", ErrInvalid)
	case c.ExpiresAt.After(now.Add(maxConsentSpan)):
		return fmt.Errorf("%w: expires_at %s is more than ten years away", ErrInvalid, c.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}
