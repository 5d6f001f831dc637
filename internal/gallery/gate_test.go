package gallery

import (
	"testing"
	"time"

	"github.com/mienhq/mien/gate"
)

// TestGateMatcher: the gate's open-set decision grants a live subject at the
// identify threshold, says expired_consent for the best match whose consent
// has expired (where Identify says nobody), and denied_unknown for a
// stranger, with no subject or score.
func TestGateMatcher(t *testing.T) {
	for _, sc := range []Scoring{Mean, Max} {
		f := newFixture(t, sc)
		alice, bob := f.random(), f.random()
		a := f.enrol("alice", alice, f.near(alice, 0.8))
		b := f.enrolFor("bob", time.Hour, bob)
		for i := range 20 {
			f.enrol(string(rune('c'+i)), f.random())
		}
		m := f.g.GateMatcher(f.col, Policy{FPIR: 0.01})
		got, err := m.Identify(f.ctx, emb(f.near(alice, 0.7)))
		if err != nil || got.Outcome != gate.Granted || got.SubjectID != a.ID || got.Score < 0.5 {
			t.Fatalf("%v alice: %+v %v", sc, got, err)
		}
		if got, err := m.Identify(f.ctx, emb(f.random())); err != nil || got.Outcome != gate.DeniedUnknown || got.SubjectID != "" || got.Score != 0 {
			t.Fatalf("%v stranger: %+v %v", sc, got, err)
		}
		probe := f.near(bob, 0.7)
		if got, _ := m.Identify(f.ctx, emb(probe)); got.Outcome != gate.Granted || got.SubjectID != b.ID {
			t.Fatalf("%v bob before expiry: %+v", sc, got)
		}
		f.clk.add(2 * time.Hour)
		got, err = m.Identify(f.ctx, emb(probe))
		if err != nil || got.Outcome != gate.ExpiredConsent || got.SubjectID != b.ID {
			t.Fatalf("%v bob expired: %+v %v", sc, got, err)
		}
		if id := f.identify(Policy{FPIR: 0.01}, 3, probe); len(id.Faces[0]) != 0 {
			t.Fatalf("%v identify matched an expired subject: %+v", sc, id.Faces[0])
		}
		wrong := emb(alice)
		wrong.Model = "m0"
		if _, err := m.Identify(f.ctx, wrong); err == nil {
			t.Fatalf("%v another model's probe accepted", sc)
		}
	}
}
