package reqid

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

func TestNewAndContext(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := New(), New()
	if !uuid.MatchString(a) || a == b || !Valid(a) {
		t.Fatalf("ids %q %q", a, b)
	}
	if From(context.Background()) != "" || From(With(context.Background(), a)) != a {
		t.Fatal("context round trip")
	}
}

func TestValid(t *testing.T) {
	for id, want := range map[string]bool{
		"abc-123":               true,
		"req_1.2:3":             true,
		"":                      false,
		strings.Repeat("a", 64): true,
		strings.Repeat("a", 65): false,
		"a b":                   false,
		"a\nstatus=500":         false,
		"id\"}":                 false,
		"é":                     false,
	} {
		if Valid(id) != want {
			t.Errorf("Valid(%q) = %v", id, !want)
		}
	}
}
