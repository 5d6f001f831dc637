package cli

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/mienhq/mien/internal/eval"
)

// The kinds of synthetic gallery template eval search can draw.
const (
	synthRecognizer = "recognizer" // a Gaussian fitted to the real enrolled templates, normalised
	synthIsotropic  = "isotropic"  // uniform on the unit sphere
)

// recognizerModel reports the Gaussian the recognizer-like templates are
// drawn from and how real and synthetic templates sit against it.
type recognizerModel struct {
	FitTemplates int     `json:"fit_templates"`
	Rank         int     `json:"rank"`
	Energy       float64 `json:"energy"`
	FitSeconds   float64 `json:"fit_seconds"`
	// Profiles: "fitted" (the enrolled real templates the fit used),
	// "probes" (up to 5,000 of the split's real probes, never fitted),
	// "synthetic" (up to 5,000 of the gallery's synthetic templates).
	Profiles map[string]eval.Profile `json:"profiles"`
}

// synthKind resolves --synthetic: recognizer when real templates are
// given, isotropic otherwise.
func synthKind(flag string, haveReal bool) (string, error) {
	switch {
	case flag == "" && haveReal:
		return synthRecognizer, nil
	case flag == "":
		return synthIsotropic, nil
	case flag == synthRecognizer && !haveReal:
		return "", usageError{fmt.Errorf("eval search: --synthetic recognizer needs --embeddings (the real templates it is fitted to)")}
	case flag == synthRecognizer || flag == synthIsotropic:
		return flag, nil
	}
	return "", usageError{fmt.Errorf("eval search: --synthetic is recognizer or isotropic, not %q", flag)}
}

// enrolledTemplates are the split's gallery side: the enrolment template
// of each subject, exactly those added to the gallery. The recognizer
// model is fitted to these only, never to a probe (mated or non-mated).
func enrolledTemplates(real *eval.Set, split *eval.Split) [][]float32 {
	if split == nil {
		return nil
	}
	out := make([][]float32, 0, len(split.Subjects))
	for _, s := range split.Subjects {
		out = append(out, real.Records[s.Photos[0]].Vector)
	}
	return out
}

// probeTemplates are the split's mated and non-mated probes.
func probeTemplates(real *eval.Set, split *eval.Split) [][]float32 {
	var out [][]float32
	for _, m := range split.Mated {
		out = append(out, real.Records[m.Rec].Vector)
	}
	for _, i := range split.NonMated {
		out = append(out, real.Records[i].Vector)
	}
	return out
}

// fitRecognizer fits the Gaussian to the enrolled templates and profiles
// them and the probes against it.
func fitRecognizer(real *eval.Set, split *eval.Split, rank int) (*eval.Gaussian, *recognizerModel, error) {
	t0 := time.Now()
	fit := enrolledTemplates(real, split)
	g, err := eval.FitGaussian(fit, rank)
	if err != nil {
		return nil, nil, err
	}
	m := &recognizerModel{FitTemplates: len(fit), Rank: g.Rank, Energy: g.Energy, FitSeconds: time.Since(t0).Seconds(),
		Profiles: map[string]eval.Profile{}}
	m.Profiles["fitted"] = g.Profile(fit, profileTops(g))
	m.Profiles["probes"] = g.Profile(sampleOf(probeTemplates(real, split), 5000), profileTops(g))
	return g, m, nil
}

func profileTops(g *eval.Gaussian) []int {
	var tops []int
	for _, k := range []int{16, 32, 64, 128} {
		if k < g.Rank {
			tops = append(tops, k)
		}
	}
	return append(tops, g.Rank)
}

// drawer makes synthetic templates of one kind.
type drawer struct {
	kind string
	dim  int
	g    *eval.Gaussian // for recognizer draws
}

func (d drawer) draw(r *rand.Rand, dst, z []float32) {
	if d.kind == synthRecognizer {
		d.g.Draw(r, dst, z)
		return
	}
	randomUnit(r, dst)
}

// drawTemplates draws n templates into one flat slice on every core. Each
// block of 4,096 has its own seeded stream, so the gallery depends only on
// the seed, not on the number of cores.
func drawTemplates(ctx context.Context, env *Env, d drawer, n int, seed uint64) ([]float32, error) {
	const block = 4096
	flat := make([]float32, n*d.dim)
	bar := newProgress(env.Stderr, "drawing "+d.kind+" templates", n)
	defer bar.Finish()
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			z := make([]float32, d.dim)
			for b := w; b*block < n; b += workers {
				if ctx.Err() != nil {
					return
				}
				r := rand.New(rand.NewPCG(seed, 0x5ea7c4+uint64(b)))
				lo, hi := b*block, min(n, (b+1)*block)
				for i := lo; i < hi; i++ {
					d.draw(r, flat[i*d.dim:(i+1)*d.dim:(i+1)*d.dim], z)
				}
				bar.Add(hi - lo)
			}
		}()
	}
	wg.Wait()
	return flat, ctx.Err()
}

// sample returns up to most of the flat templates, evenly spaced.
func sample(flat []float32, dim, most int) [][]float32 {
	all := make([][]float32, len(flat)/max(dim, 1))
	for i := range all {
		all[i] = flat[i*dim : (i+1)*dim]
	}
	return sampleOf(all, most)
}

// sampleOf returns up to most of vecs, evenly spaced.
func sampleOf(vecs [][]float32, most int) [][]float32 {
	step := max(1, len(vecs)/max(most, 1))
	var out [][]float32
	for i := 0; i < len(vecs) && len(out) < most; i += step {
		out = append(out, vecs[i])
	}
	return out
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

func printRecognizerModel(env *Env, m *recognizerModel) {
	fmt.Fprintf(env.Stdout, "recognizer model: Gaussian fitted to the %d enrolled real templates (no probe), rank %d holding %.4f of their variance, fitted in %.1f s\n",
		m.FitTemplates, m.Rank, m.Energy, m.FitSeconds)
	fitted := m.Profiles["fitted"]
	fmt.Fprintf(env.Stdout, "  %-10s %9s %22s", "templates", "count", "residual mean / max")
	for _, k := range fitted.Tops {
		fmt.Fprintf(env.Stdout, " %8s", fmt.Sprintf("top %d", k))
	}
	fmt.Fprintln(env.Stdout)
	for _, name := range []string{"fitted", "probes", "synthetic"} {
		p, ok := m.Profiles[name]
		if !ok {
			continue
		}
		fmt.Fprintf(env.Stdout, "  %-10s %9d %11.4f / %-8.4f", name, p.Templates, p.ResidualMean, p.ResidualMax)
		for _, s := range p.TopShare {
			fmt.Fprintf(env.Stdout, " %8.3f", s)
		}
		fmt.Fprintln(env.Stdout)
	}
	fmt.Fprintln(env.Stdout, "  (residual: norm outside the span of the mean and the fitted directions; top N: share of the set's variance along the first N)")
}
