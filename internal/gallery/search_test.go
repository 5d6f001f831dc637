package gallery

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
)

// TestSearchAgreesWithIdentify: on subjects of one photo each (Rekognition
// faces), a face search at identify's threshold finds the same subjects in
// the same order with the same scores; Exclude, Only and K filter it, and
// it widens past expired faces to fill K.
func TestSearchAgreesWithIdentify(t *testing.T) {
	f := newFixture(t, Max)
	p := f.random()
	var tids []int64
	for i, c := range []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3} {
		d := 24 * time.Hour
		if i < 2 {
			d = time.Hour // the two best expire
		}
		sub := f.enrolFor(fmt.Sprint("n", i), d, f.near(p, c))
		tids = append(tids, sub.Templates[0].ID)
	}
	for i := 0; i < 300; i++ {
		f.enrol(fmt.Sprint("s", i), f.random())
	}
	for _, fpir := range []float64{0.5, 0.01, 1e-4} {
		id := f.identify(Policy{FPIR: fpir}, 50, p)
		hs, err := f.g.Search(f.ctx, f.col, emb(p), SearchQuery{K: 50, MinCosine: id.Threshold})
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != len(id.Faces[0]) || len(hs) == 0 {
			t.Fatalf("fpir %g: search %d hits, identify %d", fpir, len(hs), len(id.Faces[0]))
		}
		for i, h := range hs {
			if c := id.Faces[0][i]; c.SubjectID != h.SubjectID || c.Similarity != h.Score {
				t.Errorf("fpir %g, #%d: search %+v, identify %+v", fpir, i, h, c)
			}
		}
	}
	f.clk.add(2 * time.Hour)
	hs, _ := f.g.Search(f.ctx, f.col, emb(p), SearchQuery{K: 2, MinCosine: 0.2})
	if len(hs) != 2 || hs[0].TemplateID != tids[2] || hs[1].TemplateID != tids[3] {
		t.Fatalf("K 2 after two expired: %+v", hs)
	}
	hs, _ = f.g.Search(f.ctx, f.col, emb(p), SearchQuery{K: 10, MinCosine: 0.2, Exclude: tids[2]})
	if len(hs) != 4 || hs[0].TemplateID != tids[3] {
		t.Fatalf("excluding the best: %+v", hs)
	}
	hs, _ = f.g.Search(f.ctx, f.col, emb(p), SearchQuery{K: 10, MinCosine: -1, Only: map[int64]bool{tids[5]: true, tids[0]: true}})
	if len(hs) != 1 || hs[0].TemplateID != tids[5] {
		t.Fatalf("only two faces, one expired: %+v", hs)
	}
}

// BenchmarkIdentify measures the gallery's own part of an identification
// (threshold for the size, search, consent check, subject scores), without
// the engine: go test ./internal/gallery -bench Identify -benchmem
func BenchmarkIdentify(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			f := newFixture(b, Max)
			tpls := make([]store.Template, n)
			for i := range tpls {
				tpls[i] = store.Template{Vector: f.random()}
			}
			for i := 0; i < n; i += 1000 { // in bulk through the store, then loaded as at start-up
				for j, t := range tpls[i:min(i+1000, n)] {
					if _, err := f.st.Enroll(f.ctx, f.who.Tenant, f.col.ID, store.Subject{ExternalID: fmt.Sprint(i + j), Consent: f.consent(time.Hour)}, []store.Template{t}, "k"); err != nil {
						b.Fatal(err)
					}
				}
			}
			g, err := New(f.ctx, Options{Engine: f.eng, Store: f.st})
			if err != nil {
				b.Fatal(err)
			}
			probe := []face.Embedding{emb(f.near(tpls[n/2].Vector, 0.7))}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := g.Identify(f.ctx, f.col, probe, Policy{}, 3)
				if err != nil || len(res.Faces[0]) == 0 {
					b.Fatalf("%+v %v", res, err)
				}
			}
		})
	}
}

// TestConcurrentUse: enrolments, erasures, identifications and searches at
// once (run with -race); every enrolled subject still there is found.
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, Mean)
	vs := make([][]float32, 40)
	for i := range vs {
		vs[i] = f.random()
	}
	subs := make([]store.Subject, len(vs))
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(vs))
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(vs); i += 4 {
				sub, err := f.g.Enroll(f.ctx, f.who, f.col, store.Subject{ExternalID: fmt.Sprint(i), Consent: f.consent(time.Hour)},
					[]Template{{Embedding: emb(vs[i])}, {Embedding: emb(f.near(vs[i], 0.8))}})
				subs[i] = sub
				errs <- err
				if _, err := f.g.Identify(f.ctx, f.col, []face.Embedding{emb(vs[i])}, Policy{}, 3); err != nil {
					errs <- err
				}
				if _, err := f.g.Search(f.ctx, f.col, emb(vs[i]), SearchQuery{K: 3, MinCosine: 0.2}); err != nil {
					errs <- err
				}
				if i%2 == 0 {
					errs <- f.g.DeleteSubject(f.ctx, f.who, f.col.ID, sub.ID)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range vs {
		got := f.identify(Policy{}, 1, v).Faces[0]
		if found := len(got) == 1 && got[0].SubjectID == subs[i].ID; found != (i%2 == 1) {
			t.Errorf("subject %d (erased: %v): %+v", i, i%2 == 0, got)
		}
	}
	if tpls, subjects := f.g.Size(f.col.ID); tpls != 40 || subjects != 20 {
		t.Fatalf("%d templates, %d subjects, want 40 and 20", tpls, subjects)
	}
}
