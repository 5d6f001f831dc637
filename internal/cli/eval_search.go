package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/mienhq/mien/internal/eval"
	"github.com/mienhq/mien/internal/gallery"
)

// searchReport is what eval search prints and writes as JSON.
type searchReport struct {
	Gallery          int                       `json:"gallery_templates"`
	Synthetic        int                       `json:"synthetic_templates"`
	SyntheticKind    string                    `json:"synthetic_kind"`
	Model            *recognizerModel          `json:"recognizer_model,omitempty"`
	DrawSeconds      float64                   `json:"draw_seconds"`
	Real             int                       `json:"real_templates"`
	K                int                       `json:"k"`
	Workers          int                       `json:"workers"`
	BytesPerTemplate int                       `json:"bytes_per_template"`
	BuildSeconds     float64                   `json:"build_seconds"`
	Latency          map[string]latencySummary `json:"latency_ms"`
	Queries          int                       `json:"queries"`
	Exact            int                       `json:"queries_exact"`
	Cost             searchCost                `json:"cost_per_query"`
	Machine          string                    `json:"machine"`
}

type latencySummary struct {
	Queries       int        `json:"queries"`
	P50, P95, P99 float64    `json:"-"`
	Values        [3]float64 `json:"p50_p95_p99"`
}

// searchCost is what a search read and the CPU it used, averaged over the
// queries: figures that do not depend on the machine's load as wall time
// does (CPU time only a little, through shared caches and memory).
type searchCost struct {
	MBytes    float64 `json:"mbytes_read"`
	CodeRows  float64 `json:"two_bit_rows"`
	Int8Rows  float64 `json:"int8_rows"`
	MaxInt8   int     `json:"int8_rows_max"`
	FloatRows float64 `json:"float32_rows"`
	Widened   int     `json:"widened"` // searches whose int8 bound failed: every int8 candidate re-scored
	CPUms     float64 `json:"cpu_ms_p50"`
}

// searchQuery is one timed search: its kind, vector and result.
type searchQuery struct {
	kind string
	q    []float32
	took time.Duration
	cpu  time.Duration // process CPU time during the search (all cores)
	cost gallery.Cost
	got  []gallery.Match
}

func runEvalSearch(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "eval search", "[--gallery N] [--queries Q] [--embeddings FILE] [flags]",
		"1:N search at scale: latency (p50/p95/p99) of the index over N synthetic templates plus the real enrolled templates of "+
			"the open-set split when --embeddings is given, and whether every answer equals exact brute force. The synthetic "+
			"templates are drawn from a Gaussian fitted to those enrolled templates (never to a probe) when --embeddings is given, "+
			"so they spread as the recognizer's templates do, or are isotropic random unit vectors (--synthetic).")
	n := fs.Int("gallery", 1_000_000, "synthetic templates in the gallery")
	synth := fs.String("synthetic", "", "kind of synthetic template: recognizer (Gaussian fitted to the enrolled real templates; the default with --embeddings) or isotropic (random unit vectors; the default without)")
	rank := fs.Int("rank", 200, "directions of the recognizer model (at most the dimension and the enrolled templates less one)")
	nq := fs.Int("queries", 100, "random queries of each synthetic kind: recognizer draws (with --synthetic recognizer) and isotropic ones (the hardest case for the coarse passes: their top k are the far tail)")
	embPath := fs.String("embeddings", "", "embedding set (from eval embed): its open-set split's enrolled photos join the gallery and its mated and non-mated probes are searched")
	realQ := fs.Int("real-queries", 400, "at most this many probes of the embedding set")
	k := fs.Int("k", 10, "results per search")
	workers := fs.Int("workers", 0, "goroutines per search (0 = GOMAXPROCS)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic gallery and queries")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 0 || *nq < 0 || *k < 1 || *realQ < 0 || *rank < 1 {
		return usageError{fmt.Errorf("eval search: --gallery, --queries and --real-queries must be >= 0, --k and --rank >= 1")}
	}
	kind, err := synthKind(*synth, *embPath != "")
	if err != nil {
		return err
	}
	var real *eval.Set
	var split *eval.Split
	if *embPath != "" {
		if real, err = loadSet(*embPath); err != nil {
			return err
		}
		real.Records = eval.Exclude(real.Records, eval.LFWExcluded)
		if split, err = eval.SplitOpenSet(real.Records, eval.Identities(nil), eval.SplitOptions{K: 1, Enrol: 0.9, Seed: 1, NonMatedPerPerson: 1}); err != nil {
			return err
		}
	}
	dim := 512
	if real != nil {
		for _, r := range real.Records {
			if r.Vector != nil {
				dim = len(r.Vector)
				break
			}
		}
	}
	x, err := gallery.NewScaleIndex(dim, *workers)
	if err != nil {
		return err
	}
	d := drawer{kind: kind, dim: dim}
	var g *eval.Gaussian
	rep := searchReport{K: *k, Workers: *workers, Synthetic: *n, SyntheticKind: kind, Latency: map[string]latencySummary{},
		Machine: fmt.Sprintf("%d CPUs, GOMAXPROCS %d", runtime.NumCPU(), runtime.GOMAXPROCS(0))}
	if rep.Workers == 0 {
		rep.Workers = runtime.GOMAXPROCS(0)
	}
	t0 := time.Now()
	if split != nil {
		if g, rep.Model, err = fitRecognizer(real, split, *rank); err != nil {
			return err
		}
		d.g = g
	}
	t1 := time.Now()
	flat, err := drawTemplates(ctx, env, d, *n, *seed)
	if err != nil {
		return err
	}
	rep.DrawSeconds = time.Since(t1).Seconds()
	if g != nil {
		rep.Model.Profiles["synthetic"] = g.Profile(sample(flat, dim, 5000), profileTops(g))
	}
	vecs, err := buildSearchGallery(ctx, env, x, flat, dim, enrolledTemplates(real, split))
	if err != nil {
		return err
	}
	rep.BuildSeconds = time.Since(t0).Seconds()
	rep.Gallery, rep.Real, rep.BytesPerTemplate = x.Len(), x.Len()-*n, x.BytesPerTemplate()
	kinds := []drawer{{kind: synthIsotropic, dim: dim}}
	if kind == synthRecognizer {
		kinds = append(kinds, d)
	}
	queries := searchQueries(kinds, *nq, *seed, real, split, *realQ)
	if err := timeSearches(ctx, env, x, queries, *k); err != nil {
		return err
	}
	rep.Queries = len(queries)
	rep.Exact, err = checkExact(ctx, env, vecs, queries, *k)
	if err != nil {
		return err
	}
	summarise(&rep, queries)
	printSearch(env, rep)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if rep.Exact != rep.Queries {
		return fmt.Errorf("eval search: %d of %d answers differ from exact search", rep.Queries-rep.Exact, rep.Queries)
	}
	return nil
}

// buildSearchGallery adds the flat synthetic templates (ids 0..n-1) and
// the enrolled real templates (ids from n) to x, and returns every vector
// by id for the brute-force check.
func buildSearchGallery(ctx context.Context, env *Env, x *gallery.ScaleIndex, flat []float32, dim int, enrolled [][]float32) ([][]float32, error) {
	n := len(flat) / dim
	vecs := make([][]float32, 0, n+len(enrolled))
	x.Reserve(n + len(enrolled))
	bar := newProgress(env.Stderr, "building the gallery", n+len(enrolled))
	defer bar.Finish()
	for i := 0; i < n; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		v := flat[i*dim : (i+1)*dim : (i+1)*dim]
		if err := x.Add(int64(i), v); err != nil {
			return nil, err
		}
		vecs = append(vecs, v)
		if i%1024 == 1023 {
			bar.Add(1024)
		}
	}
	for _, v := range enrolled {
		if err := x.Add(int64(len(vecs)), v); err != nil {
			return nil, err
		}
		vecs = append(vecs, v)
	}
	return vecs, nil
}

// searchQueries are nq synthetic queries of each kind (from streams of
// their own, never the gallery's) and up to most probes of the split
// (mated and non-mated), in a seeded random order so that no kind is
// timed only while the caches are cold.
func searchQueries(kinds []drawer, nq int, seed uint64, real *eval.Set, split *eval.Split, most int) []*searchQuery {
	r := rand.New(rand.NewPCG(seed, 0x9e77))
	var out []*searchQuery
	for _, d := range kinds {
		z := make([]float32, d.dim)
		for i := 0; i < nq; i++ {
			v := make([]float32, d.dim)
			d.draw(r, v, z)
			out = append(out, &searchQuery{kind: d.kind, q: v})
		}
	}
	defer r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	if split == nil {
		return out
	}
	m, nm := split.Mated, split.NonMated
	for i := 0; i < max(len(m), len(nm)) && most > 0; i++ {
		if i < len(m) && most > 0 {
			out = append(out, &searchQuery{kind: "mated", q: real.Records[m[i].Rec].Vector})
			most--
		}
		if i < len(nm) && most > 0 {
			out = append(out, &searchQuery{kind: "non-mated", q: real.Records[nm[i]].Vector})
			most--
		}
	}
	return out
}

// timeSearches runs every query once, one at a time, after a warm-up.
func timeSearches(ctx context.Context, env *Env, x *gallery.ScaleIndex, qs []*searchQuery, k int) error {
	for _, q := range qs[:min(3, len(qs))] {
		if _, err := x.Search(q.q, k); err != nil {
			return err
		}
	}
	bar := newProgress(env.Stderr, "searching", len(qs))
	defer bar.Finish()
	for _, q := range qs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c0, _ := cpuTime()
		t := time.Now()
		got, cost, err := x.SearchCost(q.q, k)
		q.took, q.cost = time.Since(t), cost
		c1, _ := cpuTime()
		q.cpu = c1 - c0
		if err != nil {
			return err
		}
		q.got = got
		bar.Add(1)
	}
	return nil
}

// checkExact compares each answer with the brute-force top k over vecs
// (ids and order; scores are exact float32 in both) and returns how many
// are identical.
func checkExact(ctx context.Context, env *Env, vecs [][]float32, qs []*searchQuery, k int) (int, error) {
	bar := newProgress(env.Stderr, "checking against brute force", len(qs))
	defer bar.Finish()
	exact := 0
	for _, q := range qs {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		want := bruteTopK(vecs, q.q, k)
		if slices.EqualFunc(want, q.got, func(a, b gallery.Match) bool { return a.ID == b.ID }) {
			exact++
		} else {
			fmt.Fprintf(env.Stderr, "eval search: a %s query differs: got %v, want %v\n", q.kind, q.got, want)
		}
		bar.Add(1)
	}
	return exact, nil
}

// bruteTopK scores every vector (in parallel) and keeps the best k, ties
// to the lower id as the index does.
func bruteTopK(vecs [][]float32, q []float32, k int) []gallery.Match {
	workers := runtime.GOMAXPROCS(0)
	parts := make([][]gallery.Match, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var best []gallery.Match
			for i := len(vecs) * w / workers; i < len(vecs)*(w+1)/workers; i++ {
				m := gallery.Match{ID: int64(i), Score: gallery.Dot(q, vecs[i])}
				if len(best) == k && !better(m, best[k-1]) {
					continue
				}
				at := sort.Search(len(best), func(j int) bool { return better(m, best[j]) })
				best = slices.Insert(best, at, m)
				if len(best) > k {
					best = best[:k]
				}
			}
			parts[w] = best
		}()
	}
	wg.Wait()
	all := slices.Concat(parts...)
	sort.Slice(all, func(i, j int) bool { return better(all[i], all[j]) })
	return all[:min(k, len(all))]
}

func better(a, b gallery.Match) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.ID < b.ID
}

// summarise fills the latency percentiles per kind of query and overall.
func summarise(rep *searchReport, qs []*searchQuery) {
	by := map[string][]float64{}
	for _, q := range qs {
		ms := float64(q.took) / float64(time.Millisecond)
		by[q.kind] = append(by[q.kind], ms)
		by["all"] = append(by["all"], ms)
	}
	for kind, v := range by {
		sort.Float64s(v)
		at := func(p float64) float64 { return v[min(len(v)-1, int(p*float64(len(v))))] }
		s := latencySummary{Queries: len(v), P50: at(0.5), P95: at(0.95), P99: at(0.99)}
		s.Values = [3]float64{s.P50, s.P95, s.P99}
		rep.Latency[kind] = s
	}
	if len(qs) == 0 {
		return
	}
	var cpu []float64
	c := &rep.Cost
	for _, q := range qs {
		c.MBytes += float64(q.cost.Bytes) / 1e6
		c.CodeRows += float64(q.cost.CodeRows)
		c.Int8Rows += float64(q.cost.Int8Rows)
		c.FloatRows += float64(q.cost.FloatRows)
		c.MaxInt8 = max(c.MaxInt8, q.cost.Int8Rows)
		if q.cost.Widened {
			c.Widened++
		}
		cpu = append(cpu, float64(q.cpu)/float64(time.Millisecond))
	}
	nq := float64(len(qs))
	c.MBytes, c.CodeRows, c.Int8Rows, c.FloatRows = c.MBytes/nq, c.CodeRows/nq, c.Int8Rows/nq, c.FloatRows/nq
	sort.Float64s(cpu)
	c.CPUms = cpu[len(cpu)/2]
}

func printSearch(env *Env, r searchReport) {
	fmt.Fprintf(env.Stdout, "gallery: %d templates (%d synthetic %s, %d real), %d bytes a template (%.2f GB), drawn in %.1f s, built in %.1f s; k = %d, %d workers; %s\n",
		r.Gallery, r.Synthetic, r.SyntheticKind, r.Real, r.BytesPerTemplate, float64(r.BytesPerTemplate)*float64(r.Gallery)/1e9, r.DrawSeconds, r.BuildSeconds, r.K, r.Workers, r.Machine)
	if r.Model != nil {
		printRecognizerModel(env, r.Model)
	}
	kinds := make([]string, 0, len(r.Latency))
	for kind := range r.Latency {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	fmt.Fprintf(env.Stdout, "  %-10s %8s %9s %9s %9s\n", "queries", "count", "p50 ms", "p95 ms", "p99 ms")
	for _, kind := range kinds {
		l := r.Latency[kind]
		fmt.Fprintf(env.Stdout, "  %-10s %8d %9.2f %9.2f %9.2f\n", kind, l.Queries, l.P50, l.P95, l.P99)
	}
	c := r.Cost
	fmt.Fprintf(env.Stdout, "per query (mean): %.1f MB read; %.0f two-bit codes, %.0f int8 rows (at most %d), %.0f float32 rows re-scored; CPU time p50 %.2f ms (all cores); %d searches widened past the int8 bound\n",
		c.MBytes, c.CodeRows, c.Int8Rows, c.MaxInt8, c.FloatRows, c.CPUms, c.Widened)
	fmt.Fprintf(env.Stdout, "exact: %d of %d answers identical to brute force (ids and order of the top %d)\n", r.Exact, r.Queries, r.K)
}
