package gate

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
)

// fakeMatcher: subject "alice" is e0 (consent live), "bob" is e1 (expired);
// anything else is unknown. It records how many probes it saw.
type fakeMatcher struct {
	probes []face.Embedding
	err    error
}

func (m *fakeMatcher) Identify(_ context.Context, p face.Embedding) (Match, error) {
	m.probes = append(m.probes, face.Embedding{Model: p.Model, Vector: append([]float32(nil), p.Vector...)})
	if m.err != nil {
		return Match{}, m.err
	}
	switch {
	case p.Vector[0] >= 0.7:
		return Match{Outcome: Granted, SubjectID: "alice", Score: p.Vector[0]}, nil
	case p.Vector[1] >= 0.7:
		return Match{Outcome: ExpiredConsent, SubjectID: "bob", Score: p.Vector[1]}, nil
	}
	return Match{Outcome: DeniedUnknown}, nil
}

func vec(axis int, noise float32) face.Embedding {
	v := []float32{noise, noise, noise, noise}
	v[axis] = 1
	face.Normalize(v)
	return face.Embedding{Model: "m", Vector: v}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(i int) time.Time { return t0.Add(time.Duration(i) * 200 * time.Millisecond) }

var big = face.R(100, 100, 200, 200)

// step feeds one face of track id, with a template when the gate wants one.
func step(t *testing.T, g *Gate, i int, id uint64, box face.Rect, tpl face.Embedding, ended ...uint64) []Decision {
	t.Helper()
	f := Face{Track: id, Box: box, Quality: 0.5 + float32(i%3)/10}
	if g.Wants(id, box, f.Quality, at(i)) {
		f.Template = tpl
	}
	ds, err := g.Update(context.Background(), Frame{Time: at(i), Faces: []Face{f}, Ended: ended})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestGrantedOnceFromFusedFrames(t *testing.T) {
	m := &fakeMatcher{}
	g, err := New(Options{Camera: "door", Frames: 3, EarlyFrames: -1}, m)
	if err != nil {
		t.Fatal(err)
	}
	var got []Decision
	for i := range 20 {
		got = append(got, step(t, g, i, 1, big, vec(0, 0.1))...)
		if i == 1 && len(got) != 0 {
			t.Fatalf("decided after %d frames, want 3", i+1)
		}
	}
	if len(got) != 1 || got[0].Outcome != Granted || got[0].SubjectID != "alice" || got[0].Frames != 3 || got[0].Camera != "door" || !got[0].Time.Equal(at(2)) {
		t.Fatalf("decisions %+v, want one grant to alice from 3 frames at frame 3", got)
	}
	if len(m.probes) != 1 {
		// drift samples of the same face compare with the kept template; they never identify
		t.Fatalf("%d identifications of one unchanged face, want 1", len(m.probes))
	}
	if g.Held() != 1 {
		t.Fatalf("a granted track holds %d templates, want its fused one", g.Held())
	}
	if _, err := g.Update(context.Background(), Frame{Time: at(20), Faces: []Face{{Track: 2, Box: big}}, Ended: []uint64{1}}); err != nil {
		t.Fatal(err)
	}
	if g.Held() != 0 || g.Tracks() != 1 {
		t.Fatalf("after the track ended: %d templates, %d tracks", g.Held(), g.Tracks())
	}
}

func TestStrangerLeavesNoTrace(t *testing.T) {
	m := &fakeMatcher{}
	g, _ := New(Options{Frames: 3, Recheck: time.Second, EarlyFrames: -1}, m)
	var got []Decision
	for i := range 30 {
		before := len(m.probes)
		got = append(got, step(t, g, i, 7, big, vec(3, 0.2))...)
		if len(m.probes) > before && g.Held() != 0 {
			t.Fatalf("frame %d: %d templates held right after the stranger was identified", i, g.Held())
		}
		if g.Held() > 3 {
			t.Fatalf("frame %d: %d templates held, more than the 3 frames fused", i, g.Held())
		}
	}
	if len(got) != 1 || got[0].Outcome != DeniedUnknown || got[0].SubjectID != "" || got[0].Score != 0 {
		t.Fatalf("decisions %+v, want one denied_unknown without subject or score", got)
	}
	// re-checked every second (5 frames) from 3 fresh frames: at least 4 identifications, one report
	if len(m.probes) < 4 {
		t.Fatalf("%d identifications in 6 s with a 1 s re-check, want >= 4", len(m.probes))
	}
}

// TestEarlyGrant: a face that matches from its first frame is granted at
// once; a stranger is looked at every frame but denied only from the full
// Frames, and its templates are dropped then.
func TestEarlyGrant(t *testing.T) {
	m := &fakeMatcher{}
	g, _ := New(Options{Frames: 3}, m)
	if ds := step(t, g, 0, 1, big, vec(0, 0.1)); len(ds) != 1 || ds[0].Outcome != Granted || ds[0].Frames != 1 || !ds[0].Time.Equal(at(0)) {
		t.Fatalf("first frame of alice: %+v, want granted from 1 frame", ds)
	}
	// the stranger: first good frame at 200 ms, denied at 1200 ms (MaxWait)
	// from its best 3 frames, looked at on every frame kept before
	var got []Decision
	for i := 1; i <= 6; i++ {
		got = append(got, step(t, g, i, 2, big, vec(3, 0.1))...)
		if i < 6 && (len(got) != 0 || g.Held() != 1+min(i, 3)) { // alice's reference + the stranger's best frames
			t.Fatalf("stranger frame %d: %+v, %d held", i, got, g.Held())
		}
	}
	if len(got) != 1 || got[0].Outcome != DeniedUnknown || got[0].Frames != 3 || !got[0].Time.Equal(at(6)) || g.Held() != 1 {
		t.Fatalf("stranger: %+v with %d held, want denied from 3 frames at 1.2 s and only alice's template held", got, g.Held())
	}
	if n := len(m.probes); n < 5 || n > 7 { // alice once; the stranger on each frame kept, then the denial
		t.Fatalf("%d looks", n)
	}
}

func TestSmallFacesAreNotIdentified(t *testing.T) {
	m := &fakeMatcher{}
	g, _ := New(Options{MinFace: 80}, m)
	small := face.R(0, 0, 64, 79)
	if g.Wants(1, small, 1, at(0)) {
		t.Fatal("wants a 79 px face")
	}
	if !g.Wants(1, face.R(0, 0, 64, 80), 1, at(0)) {
		t.Fatal("refuses a face 80 px tall")
	}
	for i := range 10 {
		f := Face{Track: 1, Box: small, Quality: 1, Template: vec(0, 0)} // passed anyway: ignored
		if ds, err := g.Update(context.Background(), Frame{Time: at(i), Faces: []Face{f}}); err != nil || len(ds) != 0 {
			t.Fatal(ds, err)
		}
	}
	if len(m.probes) != 0 || g.Held() != 0 {
		t.Fatalf("%d probes, %d held from faces under the minimum", len(m.probes), g.Held())
	}
}

func TestMaxWaitAndEndDecideWithFewerFrames(t *testing.T) {
	m := &fakeMatcher{}
	g, _ := New(Options{Frames: 5, MaxWait: 500 * time.Millisecond, EarlyFrames: -1}, m)
	var got []Decision
	for i := range 4 { // frames at 0, 200, 400, 600 ms: the fourth is past MaxWait
		got = append(got, step(t, g, i, 1, big, vec(0, 0))...)
	}
	if len(got) != 1 || got[0].Frames != 4 || !got[0].Time.Equal(at(3)) {
		t.Fatalf("decisions %+v, want one from 4 frames at 600 ms", got)
	}
	got = step(t, g, 4, 2, big, vec(1, 0))
	got = append(got, step(t, g, 5, 3, big, vec(3, 0), 2)...)
	if len(got) != 1 || got[0].Track != 2 || got[0].Outcome != ExpiredConsent || got[0].SubjectID != "bob" || got[0].Frames != 1 {
		t.Fatalf("ended track: %+v, want expired_consent for bob from its one frame", got)
	}
}

func TestDriftReidentifies(t *testing.T) {
	m := &fakeMatcher{}
	g, _ := New(Options{Frames: 2, DriftEvery: 400 * time.Millisecond, EarlyFrames: -1}, m)
	var got []Decision
	for i := range 6 {
		got = append(got, step(t, g, i, 1, big, vec(0, 0.05))...)
	}
	probes := len(m.probes)
	for i := 6; i < 14; i++ { // another face takes over the track
		got = append(got, step(t, g, i, 1, big, vec(1, 0.05))...)
	}
	for i := 14; i < 24; i++ { // alice again: granted already reported, not again
		got = append(got, step(t, g, i, 1, big, vec(0, 0.05))...)
	}
	want := []Outcome{Granted, ExpiredConsent}
	if len(got) != len(want) || got[0].Outcome != want[0] || got[1].Outcome != want[1] {
		t.Fatalf("decisions %+v, want granted then expired_consent", got)
	}
	if probes != 1 || len(m.probes) < 3 {
		t.Fatalf("identifications: %d before the change, %d in all", probes, len(m.probes))
	}
	fused := m.probes[0].Vector
	if n := float64(face.Dot(fused, fused)); math.Abs(n-1) > 1e-5 {
		t.Fatalf("fused probe has norm^2 %g", n)
	}
}

func TestErrors(t *testing.T) {
	if _, err := New(Options{Frames: 40}, &fakeMatcher{}); err == nil {
		t.Fatal("40 frames accepted")
	}
	if _, err := New(Options{}, nil); err == nil {
		t.Fatal("nil matcher accepted")
	}
	m := &fakeMatcher{err: errors.New("store down")}
	g, _ := New(Options{Frames: 1, EarlyFrames: -1}, m)
	ctx := context.Background()
	if _, err := g.Update(ctx, Frame{Time: at(0), Faces: []Face{{Track: 1, Box: big, Template: vec(0, 0)}}}); err == nil {
		t.Fatal("matcher error not returned")
	}
	if g.Held() != 1 {
		t.Fatalf("after a matcher error the frame should wait for a retry, held %d", g.Held())
	}
	m.err = nil
	ds, err := g.Update(ctx, Frame{Time: at(1), Faces: []Face{{Track: 1, Box: big}}})
	if err != nil || len(ds) != 1 || ds[0].Outcome != Granted {
		t.Fatalf("retry: %+v %v", ds, err)
	}
	if _, err := g.Update(ctx, Frame{Time: at(0)}); err == nil {
		t.Fatal("time going backwards accepted")
	}
	bad := vec(0, 0)
	bad.Model = "other"
	if _, err := g.Update(ctx, Frame{Time: at(12), Faces: []Face{{Track: 1, Box: big, Template: bad}}}); !errors.Is(err, face.ErrModelMismatch) {
		t.Fatalf("mixed models: %v", err)
	}
	if _, err := g.Update(ctx, Frame{Time: at(13), Faces: []Face{{Track: 0, Box: big}}}); err == nil {
		t.Fatal("track 0 accepted")
	}
}

func TestOutcomeText(t *testing.T) {
	for _, o := range []Outcome{Granted, DeniedUnknown, ExpiredConsent} {
		b, err := o.MarshalText()
		var back Outcome
		if err != nil || back.UnmarshalText(b) != nil || back != o {
			t.Fatalf("%v: %s %v", o, b, err)
		}
	}
	if _, err := Outcome(0).MarshalText(); err == nil {
		t.Fatal("outcome 0 marshalled")
	}
}

func TestQuality(t *testing.T) {
	if q := Quality(face.R(0, 0, 40, 56), 0.9); math.Abs(float64(q-0.45)) > 1e-6 {
		t.Fatalf("56 px face at 0.9: %g, want 0.45", q)
	}
	if Quality(face.R(0, 0, 150, 200), 0.8) != 0.8 || Quality(face.R(0, 0, 60, 80), 0.9) <= Quality(face.R(0, 0, 45, 60), 0.9) {
		t.Fatal("size should count up to 112 px, then not")
	}
}

// stepLive is step with the face's passive liveness score.
func stepLive(t *testing.T, g *Gate, i int, id uint64, tpl face.Embedding, live float32, ended ...uint64) []Decision {
	t.Helper()
	f := Face{Track: id, Box: big, Quality: 0.5 + float32(i%3)/10}
	if g.Wants(id, big, f.Quality, at(i)) {
		f.Template, f.Live = tpl, live
	}
	ds, err := g.Update(context.Background(), Frame{Time: at(i), Faces: []Face{f}, Ended: ended})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestNotLiveIsDeniedWithoutIdentification(t *testing.T) {
	for _, early := range []int{1, -1} {
		m := &fakeMatcher{}
		g, err := New(Options{Camera: "door", Frames: 3, EarlyFrames: early, MinLive: 0.42, Recheck: -1}, m)
		if err != nil {
			t.Fatal(err)
		}
		var got []Decision
		for i := range 10 { // alice's face, as a print: scores under the threshold
			got = append(got, stepLive(t, g, i, 1, vec(0, 0.1), 0.1+float32(i%2)/10)...)
		}
		if len(got) != 1 || got[0].Outcome != DeniedNotLive || got[0].SubjectID != "" || got[0].Score != 0 ||
			got[0].Live < 0.1 || got[0].Live > 0.2 || got[0].Frames == 0 {
			t.Fatalf("early %d: decisions %+v, want one denied_not_live with no subject or score", early, got)
		}
		if len(m.probes) != 0 {
			t.Fatalf("early %d: a face that is not live was identified %d times, want never", early, len(m.probes))
		}
		if g.Held() != 0 {
			t.Fatalf("early %d: %d templates held after the denial, want 0", early, g.Held())
		}
	}
}

func TestLiveFaceIsGrantedOnTheMedian(t *testing.T) {
	m := &fakeMatcher{}
	g, err := New(Options{Camera: "door", Frames: 3, EarlyFrames: -1, MinLive: 0.42}, m)
	if err != nil {
		t.Fatal(err)
	}
	var got []Decision
	lives := []float32{0.9, 0.2, 0.6} // one frame low: the median (0.6) decides
	for i := range 6 {
		got = append(got, stepLive(t, g, i, 1, vec(0, 0.1), lives[i%3])...)
	}
	if len(got) != 1 || got[0].Outcome != Granted || got[0].SubjectID != "alice" || got[0].Live != 0.6 {
		t.Fatalf("decisions %+v, want alice granted with live 0.6", got)
	}
	// with anti-spoofing off, the scores are not looked at
	g, err = New(Options{Frames: 3, EarlyFrames: -1}, &fakeMatcher{})
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for i := range 6 {
		got = append(got, stepLive(t, g, i, 1, vec(0, 0.1), 0)...)
	}
	if len(got) != 1 || got[0].Outcome != Granted || got[0].Live != 0 {
		t.Fatalf("anti-spoofing off: decisions %+v, want a grant", got)
	}
}

func TestNotLiveThenLiveOnRecheck(t *testing.T) {
	// a photo held up, then the person themselves: the recheck grants
	m := &fakeMatcher{}
	g, err := New(Options{Frames: 3, EarlyFrames: 1, MinLive: 0.42, Recheck: time.Second}, m)
	if err != nil {
		t.Fatal(err)
	}
	var got []Decision
	for i := range 20 {
		live := float32(0.05)
		if i >= 10 {
			live = 0.8
		}
		got = append(got, stepLive(t, g, i, 1, vec(0, 0.1), live)...)
	}
	if len(got) != 2 || got[0].Outcome != DeniedNotLive || got[1].Outcome != Granted || got[1].SubjectID != "alice" {
		t.Fatalf("decisions %+v, want denied_not_live then granted", got)
	}
	if _, err := New(Options{MinLive: 1.5}, m); err == nil {
		t.Fatal("min live 1.5 was accepted")
	}
}

func TestMatcherMayNotAnswerNotLive(t *testing.T) {
	g, err := New(Options{Frames: 1, EarlyFrames: -1}, matcherFunc(func(face.Embedding) Match { return Match{Outcome: DeniedNotLive} }))
	if err != nil {
		t.Fatal(err)
	}
	f := Face{Track: 1, Box: big, Quality: 0.5, Template: vec(0, 0.1)}
	if _, err := g.Update(context.Background(), Frame{Time: at(0), Faces: []Face{f}}); err == nil {
		t.Fatal("a matcher's denied_not_live was taken; only the gate decides liveness")
	}
}

type matcherFunc func(face.Embedding) Match

func (f matcherFunc) Identify(_ context.Context, p face.Embedding) (Match, error) { return f(p), nil }

func TestEarlyGrantWaitsForFramesWithAntiSpoofing(t *testing.T) {
	m := &fakeMatcher{}
	g, err := New(Options{Frames: 3, EarlyFrames: 1, MinLive: 0.42}, m)
	if err != nil {
		t.Fatal(err)
	}
	var got []Decision
	for i := range 3 {
		got = append(got, stepLive(t, g, i, 1, vec(0, 0.1), 0.9)...)
		if i < 2 && (len(got) != 0 || len(m.probes) != 0) {
			t.Fatalf("frame %d: decided early (%+v, %d identifications) from fewer than 3 frames", i+1, got, len(m.probes))
		}
	}
	if len(got) != 1 || got[0].Outcome != Granted || got[0].Frames != 3 {
		t.Fatalf("decisions %+v, want a grant from 3 frames at the third", got)
	}
}
