package gallery

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
)

// fakeEngine is a recognizer calibrated on [1e-9, 0.5]: its threshold falls
// as the false-match rate rises (0.36 at 1e-9, 0.012 at 0.5). It records
// the rates it was asked for.
type fakeEngine struct {
	mu    sync.Mutex
	asked []float64
}

func (e *fakeEngine) ModelID() string { return "m1" }

func (e *fakeEngine) Threshold(far float64) (float32, error) {
	e.mu.Lock()
	e.asked = append(e.asked, far)
	e.mu.Unlock()
	if far < 1e-9 || far > 0.5 {
		return 0, fmt.Errorf("fake: no threshold at %g", far)
	}
	return float32(-0.04 * math.Log10(far)), nil
}

func (e *fakeEngine) last() float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.asked[len(e.asked)-1]
}

// clock is a settable store clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t   testing.TB
	ctx context.Context
	st  *store.Store
	eng *fakeEngine
	clk *clock
	g   *Gallery
	who Actor
	col store.Collection
	rng *rand.Rand
}

func newFixture(t testing.TB, scoring Scoring) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := &clock{now: time.Now()}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "mien.db"), store.Options{MasterKey: make([]byte, 32), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ten, _ := st.CreateTenant(ctx, "a")
	col, err := st.CreateCollection(ctx, ten.ID, "staff", "m1", "k")
	if err != nil {
		t.Fatal(err)
	}
	eng := &fakeEngine{}
	g, err := New(ctx, Options{Engine: eng, Store: st, Scoring: scoring})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, st: st, eng: eng, clk: clk, g: g, who: Actor{Tenant: ten.ID, ID: "k"}, col: col, rng: rand.New(rand.NewPCG(1, 2))}
}

func unit(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(n))
	}
	return v
}

// random returns a random unit vector (near-orthogonal to any other).
func (f *fixture) random() []float32 {
	v := make([]float32, 512)
	for i := range v {
		v[i] = float32(f.rng.NormFloat64())
	}
	return unit(v)
}

// near returns a unit vector with cosine about c to v.
func (f *fixture) near(v []float32, c float64) []float32 {
	r := f.random()
	out := make([]float32, len(v))
	for i := range v {
		out[i] = float32(c)*v[i] + float32(math.Sqrt(1-c*c))*r[i]
	}
	return unit(out)
}

func emb(v []float32) face.Embedding { return face.Embedding{Model: "m1", Vector: v} }

func (f *fixture) consent(d time.Duration) store.Consent {
	now := f.clk.Now()
	return store.Consent{Purpose: "door", Evidence: "form-1", ConsentedAt: now.Add(-time.Hour), ExpiresAt: now.Add(d)}
}

// enrol enrols a subject with these templates and 24 hours of consent.
func (f *fixture) enrol(ext string, vs ...[]float32) store.Subject {
	f.t.Helper()
	return f.enrolFor(ext, 24*time.Hour, vs...)
}

func (f *fixture) enrolFor(ext string, d time.Duration, vs ...[]float32) store.Subject {
	f.t.Helper()
	tpls := make([]Template, len(vs))
	for i, v := range vs {
		tpls[i] = Template{Embedding: emb(v)}
	}
	sub, err := f.g.Enroll(f.ctx, f.who, f.col, store.Subject{ExternalID: ext, Consent: f.consent(d)}, tpls)
	if err != nil {
		f.t.Fatal(err)
	}
	return sub
}

func (f *fixture) identify(p Policy, topK int, probes ...[]float32) Identification {
	f.t.Helper()
	es := make([]face.Embedding, len(probes))
	for i, v := range probes {
		es[i] = emb(v)
	}
	res, err := f.g.Identify(f.ctx, f.col, es, p, topK)
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func TestPerComparisonFAR(t *testing.T) {
	for _, c := range []struct {
		fpir float64
		n    int
		want float64
	}{
		{0.01, 1, 0.01},
		{0.01, 0, 0.01}, // an empty gallery is judged as one comparison
		{0.01, 1000, 1.00502e-5},
		{0.001, 1_000_000, 1.0005e-9},
		{0.1, 10, 0.010481},
	} {
		got := PerComparisonFAR(c.fpir, c.n)
		if math.Abs(got-c.want)/c.want > 1e-4 {
			t.Errorf("PerComparisonFAR(%g, %d) = %.6g, want %.6g", c.fpir, c.n, got, c.want)
		}
		if back := FPIRAt(got, c.n); math.Abs(back-c.fpir)/c.fpir > 1e-9 {
			t.Errorf("FPIRAt(PerComparisonFAR(%g, %d)) = %.12g", c.fpir, c.n, back)
		}
	}
}

// TestDecisionFollowsGallerySize: identify's threshold is the engine's at
// 1-(1-fpir)^(1/N) for the collection's current number of templates; the
// request's fpir beats the collection's, which beats the default; far is
// taken per comparison; bad settings are refused with ErrPolicy.
func TestDecisionFollowsGallerySize(t *testing.T) {
	f := newFixture(t, Max)
	probe := f.random()
	if d := f.identify(Policy{}, 3, probe).Decision; d.GallerySize != 0 || d.FPIR != DefaultFPIR || d.FAR != DefaultFPIR {
		t.Fatalf("empty gallery: %+v", d)
	}
	f.enrol("a", f.random(), f.random(), f.random())
	for i := 0; i < 7; i++ {
		f.enrol(fmt.Sprint("s", i), f.random())
	}
	d := f.identify(Policy{}, 3, probe).Decision
	want := PerComparisonFAR(0.01, 10)
	thr, _ := f.eng.Threshold(want)
	if d.GallerySize != 10 || d.FPIR != 0.01 || d.FAR != want || f.eng.last() != want || d.Threshold != thr {
		t.Fatalf("10 templates at the default: %+v, want far %g threshold %g", d, want, thr)
	}
	small := f.identify(Policy{FPIR: 0.01}, 3, probe).Decision
	f.enrol("more", f.random())
	if bigger := f.identify(Policy{FPIR: 0.01}, 3, probe).Decision; bigger.Threshold <= small.Threshold {
		t.Fatalf("a larger gallery did not raise the threshold: %v -> %v", small.Threshold, bigger.Threshold)
	}
	if _, err := f.st.SetCollectionSettings(f.ctx, f.who.Tenant, f.col.ID, store.Settings{FPIR: 0.001}, "k"); err != nil {
		t.Fatal(err)
	}
	if d := f.identify(Policy{}, 3, probe).Decision; d.FPIR != 0.001 || d.FAR != PerComparisonFAR(0.001, 11) {
		t.Fatalf("the collection's fpir: %+v", d)
	}
	if d := f.identify(Policy{FPIR: 0.05}, 3, probe).Decision; d.FPIR != 0.05 {
		t.Fatalf("the request's fpir: %+v", d)
	}
	if d := f.identify(Policy{FAR: 1e-3}, 3, probe).Decision; d.FAR != 1e-3 || math.Abs(d.FPIR-FPIRAt(1e-3, 11)) > 1e-12 || f.eng.last() != 1e-3 {
		t.Fatalf("far per comparison: %+v", d)
	}
	for _, p := range []Policy{{FPIR: 0.01, FAR: 1e-3}, {FPIR: 0.7}, {FPIR: -1}, {FAR: 2}, {FAR: 1e-12}, {FPIR: 1e-12}} {
		if _, err := f.g.Identify(f.ctx, f.col, []face.Embedding{emb(probe)}, p, 3); !errors.Is(err, ErrPolicy) {
			t.Errorf("policy %+v: %v, want ErrPolicy", p, err)
		}
	}
}

// TestIdentifyRanksSubjects: candidates are distinct subjects over the
// threshold, best first, at most top_k; a subject with several photos is
// scored by its best one; strangers are unknown; expired consent never
// matches; erasure and purge take effect at once.
func TestIdentifyRanksSubjects(t *testing.T) {
	f := newFixture(t, Max)
	kofi := f.random()
	k := f.enrol("kofi", f.near(kofi, 0.5), f.near(kofi, 0.8), f.near(kofi, 0.6))
	twin := f.enrol("twin", f.near(kofi, 0.7))
	short := f.enrolFor("short", time.Hour, f.near(kofi, 0.65))
	for i := 0; i < 40; i++ {
		f.enrol(fmt.Sprint("s", i), f.random())
	}
	res := f.identify(Policy{}, 5, kofi, f.random())
	got := res.Faces[0]
	if len(got) != 3 || got[0].SubjectID != k.ID || got[1].SubjectID != twin.ID || got[2].SubjectID != short.ID {
		t.Fatalf("candidates %+v, want kofi, twin, short", got)
	}
	if math.Abs(float64(got[0].Similarity)-0.8) > 0.05 || got[0].Similarity < res.Threshold {
		t.Fatalf("kofi's score %v: not his best photo's (0.8)", got[0].Similarity)
	}
	if len(res.Faces[1]) != 0 {
		t.Fatalf("a stranger matched: %+v", res.Faces[1])
	}
	if one := f.identify(Policy{}, 1, kofi).Faces[0]; len(one) != 1 || one[0].SubjectID != k.ID {
		t.Fatalf("top_k 1: %+v", one)
	}
	f.clk.add(2 * time.Hour)
	if got := f.identify(Policy{}, 5, kofi).Faces[0]; len(got) != 2 {
		t.Fatalf("expired consent still matches: %+v", got)
	}
	if n, err := f.g.PurgeExpired(f.ctx); n != 1 || err != nil {
		t.Fatalf("purge: %d %v", n, err)
	}
	if tpls, subs := f.g.Size(f.col.ID); tpls != 44 || subs != 42 {
		t.Fatalf("after purge: %d templates, %d subjects", tpls, subs)
	}
	if err := f.g.DeleteSubject(f.ctx, f.who, f.col.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.identify(Policy{}, 5, kofi).Faces[0]; len(got) != 1 || got[0].SubjectID != twin.ID {
		t.Fatalf("after erasing kofi: %+v", got)
	}
	// A new gallery over the same store loads what is left.
	g2, err := New(f.ctx, Options{Engine: f.eng, Store: f.st})
	if err != nil {
		t.Fatal(err)
	}
	if tpls, subs := g2.Size(f.col.ID); tpls != 41 || subs != 41 {
		t.Fatalf("loaded %d templates, %d subjects", tpls, subs)
	}
	if err := f.g.DeleteCollection(f.ctx, f.who, f.col.ID); err != nil {
		t.Fatal(err)
	}
	if tpls, _ := f.g.Size(f.col.ID); tpls != 0 {
		t.Fatalf("%d templates after the collection's erasure", tpls)
	}
}

// TestScoringMaxAndMean: the two ways to score a subject of several photos,
// on vectors whose answers are known.
func TestScoringMaxAndMean(t *testing.T) {
	a, b := make([]float32, 512), make([]float32, 512)
	a[0], b[1] = 1, 1
	probe := unit(append([]float32{1, 1}, make([]float32, 510)...))
	for _, c := range []struct {
		s    Scoring
		want float64
	}{{Max, math.Sqrt(0.5)}, {Mean, 1}} {
		f := newFixture(t, c.s)
		sub := f.enrol("two", a, b)
		v, err := f.g.Verify(f.ctx, f.col, sub, emb(probe), 1e-3)
		if err != nil || math.Abs(float64(v.Similarity)-c.want) > 1e-5 {
			t.Errorf("scoring %d: %+v %v, want similarity %.4f", c.s, v, err, c.want)
		}
		res := f.identify(Policy{}, 3, probe)
		if len(res.Faces[0]) != 1 || res.Faces[0][0].Similarity != v.Similarity {
			t.Errorf("scoring %d: identify %+v disagrees with verify %+v", c.s, res.Faces[0], v)
		}
		if tpls, _ := f.g.Size(f.col.ID); res.GallerySize != tpls {
			t.Errorf("scoring %d judges %d comparisons, want one per template (%d)", c.s, res.GallerySize, tpls)
		}
	}
}

// TestAddPhotos: photos added to a subject count at once and keep its
// consent; another model's template is refused and nothing is added.
func TestAddPhotos(t *testing.T) {
	f := newFixture(t, Max)
	p := f.random()
	sub := f.enrol("kofi", f.near(p, 0.3))
	if got := f.identify(Policy{}, 3, p).Faces[0]; len(got) != 1 || got[0].Similarity > 0.35 {
		t.Fatalf("before: %+v", got)
	}
	sub, err := f.g.AddPhotos(f.ctx, f.who, f.col, sub.ID, []Template{{Embedding: emb(f.near(p, 0.75))}, {Embedding: emb(f.near(p, 0.6))}})
	if err != nil || len(sub.Templates) != 3 || sub.Consent.Purpose != "door" {
		t.Fatalf("add: %+v %v", sub, err)
	}
	if got := f.identify(Policy{}, 3, p).Faces[0]; len(got) != 1 || got[0].Similarity < 0.7 {
		t.Fatalf("after: %+v", got)
	}
	_, err = f.g.AddPhotos(f.ctx, f.who, f.col, sub.ID, []Template{{Embedding: emb(f.random())}, {Embedding: face.Embedding{Model: "m0", Vector: f.random()}}})
	if !errors.Is(err, face.ErrModelMismatch) {
		t.Fatalf("another model's photo: %v", err)
	}
	if tpls, _ := f.g.Size(f.col.ID); tpls != 3 {
		t.Fatalf("%d templates after a refused addition", tpls)
	}
}

// TestModelMismatch: a collection of another recognizer takes no
// enrolment, no face and no probe (face.ErrModelMismatch), and stays empty.
func TestModelMismatch(t *testing.T) {
	f := newFixture(t, Max)
	old, _ := f.st.CreateCollection(f.ctx, f.who.Tenant, "old", "m0", "k")
	v := f.random()
	_, err := f.g.Enroll(f.ctx, f.who, old, store.Subject{ExternalID: "x", Consent: f.consent(time.Hour)}, []Template{{Embedding: face.Embedding{Model: "m0", Vector: v}}})
	if !errors.Is(err, face.ErrModelMismatch) {
		t.Fatalf("enrol into another model's collection: %v", err)
	}
	if _, err := f.g.IndexFaces(f.ctx, f.who, old, []NewFace{{Face: store.Face{Consent: f.consent(time.Hour)}, Embedding: emb(v)}}); !errors.Is(err, face.ErrModelMismatch) {
		t.Fatalf("index into another model's collection: %v", err)
	}
	if _, err := f.g.Identify(f.ctx, old, []face.Embedding{emb(v)}, Policy{}, 3); !errors.Is(err, face.ErrModelMismatch) {
		t.Fatalf("identify in another model's collection: %v", err)
	}
	if _, err := f.g.Search(f.ctx, f.col, face.Embedding{Model: "m0", Vector: v}, SearchQuery{K: 3}); !errors.Is(err, face.ErrModelMismatch) {
		t.Fatalf("search with another model's probe: %v", err)
	}
	if subs, _ := f.st.Subjects(f.ctx, f.who.Tenant, old.ID); len(subs) != 0 {
		t.Fatalf("%d subjects stored", len(subs))
	}
}
