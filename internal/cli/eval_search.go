package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
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
		"1:N search at scale: latency (p50/p95/p99) of the index over N templates (synthetic random unit vectors, plus the real "+
			"enrolled templates of the open-set split when --embeddings is given), and whether every answer equals exact brute force.")
	n := fs.Int("gallery", 1_000_000, "synthetic templates in the gallery")
	nq := fs.Int("queries", 100, "random queries (the hardest case for the coarse passes: the top k are the far tail)")
	embPath := fs.String("embeddings", "", "embedding set (from eval embed): its open-set split's enrolled photos join the gallery and its mated and non-mated probes are searched")
	realQ := fs.Int("real-queries", 400, "at most this many probes of the embedding set")
	k := fs.Int("k", 10, "results per search")
	workers := fs.Int("workers", 0, "goroutines per search (0 = GOMAXPROCS)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic gallery and queries")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 0 || *nq < 0 || *k < 1 || *realQ < 0 {
		return usageError{fmt.Errorf("eval search: --gallery, --queries and --real-queries must be >= 0 and --k >= 1")}
	}
	var real *eval.Set
	var split *eval.Split
	if *embPath != "" {
		var err error
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
	rep := searchReport{K: *k, Workers: *workers, Synthetic: *n, Latency: map[string]latencySummary{},
		Machine: fmt.Sprintf("%d CPUs, GOMAXPROCS %d", runtime.NumCPU(), runtime.GOMAXPROCS(0))}
	if rep.Workers == 0 {
		rep.Workers = runtime.GOMAXPROCS(0)
	}
	t0 := time.Now()
	vecs, err := buildSearchGallery(ctx, env, x, dim, *n, *seed, real, split)
	if err != nil {
		return err
	}
	rep.BuildSeconds = time.Since(t0).Seconds()
	rep.Gallery, rep.Real, rep.BytesPerTemplate = x.Len(), x.Len()-*n, x.BytesPerTemplate()
	queries := searchQueries(dim, *nq, *seed, real, split, *realQ)
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

// buildSearchGallery fills x with n synthetic unit vectors (ids 0..n-1)
// and the split's enrolled real templates (ids from n), and returns every
// vector by id for the brute-force check.
func buildSearchGallery(ctx context.Context, env *Env, x *gallery.ScaleIndex, dim, n int, seed uint64, real *eval.Set, split *eval.Split) ([][]float32, error) {
	extra := 0
	if split != nil {
		extra = len(split.Subjects)
	}
	vecs := make([][]float32, 0, n+extra)
	x.Reserve(n + extra)
	bar := newProgress(env.Stderr, "building the gallery", n+extra)
	defer bar.Finish()
	r := rand.New(rand.NewPCG(seed, 0x5ea7c4))
	flat := make([]float32, n*dim)
	for i := 0; i < n; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		v := flat[i*dim : (i+1)*dim : (i+1)*dim]
		randomUnit(r, v)
		if err := x.Add(int64(i), v); err != nil {
			return nil, err
		}
		vecs = append(vecs, v)
		if i%1024 == 1023 {
			bar.Add(1024)
		}
	}
	var subjects []eval.Subject
	if split != nil {
		subjects = split.Subjects
	}
	for _, s := range subjects {
		v := real.Records[s.Photos[0]].Vector
		if err := x.Add(int64(len(vecs)), v); err != nil {
			return nil, err
		}
		vecs = append(vecs, v)
	}
	return vecs, nil
}

func randomUnit(r *rand.Rand, v []float32) {
	var s float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		s += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(s))
	}
}

// searchQueries are nq random unit vectors and up to most probes of the
// split (mated and non-mated), in a seeded random order so that no kind is
// timed only while the caches are cold.
func searchQueries(dim, nq int, seed uint64, real *eval.Set, split *eval.Split, most int) []*searchQuery {
	r := rand.New(rand.NewPCG(seed, 0x9e77))
	var out []*searchQuery
	for i := 0; i < nq; i++ {
		v := make([]float32, dim)
		randomUnit(r, v)
		out = append(out, &searchQuery{kind: "random", q: v})
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
	fmt.Fprintf(env.Stdout, "gallery: %d templates (%d synthetic, %d real), %d bytes a template (%.2f GB), built in %.1f s; k = %d, %d workers; %s\n",
		r.Gallery, r.Synthetic, r.Real, r.BytesPerTemplate, float64(r.BytesPerTemplate)*float64(r.Gallery)/1e9, r.BuildSeconds, r.K, r.Workers, r.Machine)
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
