package gallery

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/mienhq/mien/internal/store"
)

var loadSize = flag.Int("gallery.load", 0, "templates in the collection TestLoadLargeCollection loads and times (0: a small one, and no timing)")

// TestLoadLargeCollection fills a collection in the store, opens a new
// gallery over it (what the server does at start-up) and checks every
// template is searchable. Loading must not copy the index's tiers as they
// grow: the bytes it allocates beyond what reading the store costs stay
// under 1.5 times the index's own size (growing by doubling and copying
// allocates over 2 times). With -gallery.load N it times a load of N.
func TestLoadLargeCollection(t *testing.T) {
	n := 6000
	if *loadSize > 0 {
		n = *loadSize
	}
	f := newFixture(t, Mean)
	const perSubject = 100
	var probe []float32
	for s := 0; s < n; s += perSubject {
		tpls := make([]store.Template, 0, perSubject)
		for range min(perSubject, n-s) {
			tpls = append(tpls, store.Template{Vector: f.random()})
		}
		probe = tpls[0].Vector
		sub := store.Subject{Name: fmt.Sprintf("s%d", s), Consent: f.consent(time.Hour)}
		if _, err := f.st.Enroll(f.ctx, f.who.Tenant, f.col.ID, sub, tpls, "k"); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	scan := allocated(func() {
		f.st.EachTemplate(ctx, f.col.ID, func(string, int64, []float32) error { return nil })
	})
	var g *Gallery
	var err error
	t0, c0 := time.Now(), cpuNow()
	load := allocated(func() { g, err = New(ctx, Options{Engine: f.eng, Store: f.st}) })
	took, cpu := time.Since(t0), cpuNow()-c0
	if err != nil {
		t.Fatal(err)
	}
	if tpls, _ := g.Size(f.col.ID); tpls != n {
		t.Fatalf("loaded %d templates of %d", tpls, n)
	}
	c, _ := g.collection(f.col.ID)
	if m, err := c.idx.Search(probe, 1); err != nil || len(m) != 1 || m[0].Score < 0.999 {
		t.Fatalf("an enrolled template is not found: %v %v", m, err)
	}
	idxBytes := uint64(n * c.idx.BytesPerTemplate())
	t.Logf("%d templates loaded in %v wall (%v CPU in this process), %.0f MB allocated (%.0f MB reading the store, index %.0f MB)",
		n, took.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(load)/1e6, float64(scan)/1e6, float64(idxBytes)/1e6)
	if load > scan+idxBytes*3/2 {
		t.Fatalf("loading allocated %d bytes beyond reading the store, %.1f times the index's %d", load-scan, float64(load-scan)/float64(idxBytes), idxBytes)
	}
}

// cpuNow is the process's CPU time (user and system, all threads).
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// allocated is the bytes fn allocates (all goroutines).
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}
