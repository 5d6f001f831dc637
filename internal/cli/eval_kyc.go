package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/document"
	"github.com/mienhq/mien/face"
)

// kycDoc is one entry of the truth.json that scripts/make-documents.sh writes.
type kycDoc struct {
	ID         string `json:"id"`
	Split      string `json:"split"`
	Person     string `json:"person"`
	Layout     string `json:"layout"`
	File       string `json:"file"`
	Selfie     string `json:"selfie"`
	Impostor   string `json:"impostor_selfie"`
	Conditions struct {
		Angle, Glare, Blur, Distance string
	} `json:"conditions"`
	Portrait struct{ X0, Y0, X1, Y1 float64 } `json:"portrait_box"`
}

// kycScored is a document once its portrait has been looked for.
type kycScored struct {
	doc      kycDoc
	portrait *mien.DocumentPortrait
	ghost    bool
	located  bool // the portrait found is where it was printed
}

func runEvalKYC(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "eval kyc", "DIR [flags]",
		"ID photo vs selfie on a document set made by scripts/make-documents.sh (DIR/truth.json): calibrates the\n"+
			"document-vs-live thresholds on the calib split (every impostor pair: one person's document portrait against\n"+
			"another person's selfie) and reports on the disjoint report split: TAR at FAR 1e-3 and 1e-2, the share of\n"+
			"documents whose portrait was not found, decisions, and a breakdown per photographing condition.")
	var ef engineFlags
	ef.register(fs)
	calibSplit := fs.String("calib", "calib", "split to calibrate on")
	reportSplit := fs.String("report", "report", "split to report on")
	far := fs.Float64("far", 1e-3, "false-match rate of the match threshold")
	noMatch := fs.Float64("no-match-far", 1e-2, "false-match rate of the no-match threshold (scores between the two: cannot_decide)")
	jsonOut := fs.String("json", "", "write the report (with the calibration, for package document) as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || !(*far > 0 && *far <= *noMatch && *noMatch < 1) {
		fs.Usage()
		return usageError{fmt.Errorf("eval kyc: one directory is required; 0 < --far <= --no-match-far < 1")}
	}
	docs, err := readKYCTruth(fs.Arg(0))
	if err != nil {
		return err
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	start := time.Now()
	scored, selfies, err := scoreKYC(ctx, env, eng, fs.Arg(0), docs)
	if err != nil {
		return err
	}
	rep, err := kycReportOf(eng, scored, selfies, *calibSplit, *reportSplit, *far, *noMatch)
	if err != nil {
		return err
	}
	rep.Seconds = time.Since(start).Seconds()
	printKYC(env, rep)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

func readKYCTruth(dir string) ([]kycDoc, error) {
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		return nil, fmt.Errorf("eval kyc: %w (make a set with scripts/make-documents.sh)", err)
	}
	var t struct {
		Documents []kycDoc `json:"documents"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("eval kyc: %s/truth.json: %w", dir, err)
	}
	if len(t.Documents) == 0 {
		return nil, fmt.Errorf("eval kyc: %s/truth.json lists no documents", dir)
	}
	return t.Documents, nil
}

// scoreKYC finds every document's portrait and every selfie's face, once each.
func scoreKYC(ctx context.Context, env *Env, eng *mien.Engine, dir string, docs []kycDoc) ([]kycScored, map[string]mien.SelfieFace, error) {
	workers := max(env.Config.Workers, runtime.NumCPU())
	files := make([]string, len(docs))
	for i, d := range docs {
		files[i] = filepath.Join(dir, d.File)
	}
	scored := make([]kycScored, len(docs))
	bar := newProgress(env.Stderr, "documents", len(files))
	err := eachFile(ctx, files, workers, bar, func(i int) error {
		img, err := readImage(eng, files[i])
		if err != nil {
			return err
		}
		p, g, err := eng.FindPortrait(ctx, img)
		s := kycScored{doc: docs[i], portrait: p, ghost: g != nil}
		if p != nil {
			c, b := p.Box.Center(), docs[i].Portrait
			s.located = float64(c.X) >= b.X0 && float64(c.X) <= b.X1 && float64(c.Y) >= b.Y0 && float64(c.Y) <= b.Y1
		}
		scored[i] = s
		return err
	})
	bar.Finish()
	if err != nil {
		return nil, nil, err
	}
	var names []string
	seen := map[string]bool{}
	for _, d := range docs {
		for _, s := range []string{d.Selfie, d.Impostor} {
			if !seen[s] {
				seen[s] = true
				names = append(names, s)
			}
		}
	}
	faces := make([]mien.SelfieFace, len(names))
	sfiles := make([]string, len(names))
	for i, n := range names {
		sfiles[i] = filepath.Join(dir, n)
	}
	bar = newProgress(env.Stderr, "selfies", len(names))
	err = eachFile(ctx, sfiles, workers, bar, func(i int) error {
		img, err := readImage(eng, sfiles[i])
		if err != nil {
			return err
		}
		faces[i], err = eng.FindSelfie(ctx, img)
		return err
	})
	bar.Finish()
	selfies := map[string]mien.SelfieFace{}
	for i, n := range names {
		selfies[n] = faces[i]
	}
	return scored, selfies, err
}

// decide is document.Decide on a scored document and a selfie.
func (s kycScored) decide(eng *mien.Engine, self mien.SelfieFace, th document.Thresholds) (document.Decision, *float32) {
	in := document.Input{Portrait: s.portrait.Measures(), Ghost: s.ghost, SelfieFaces: self.Count, SelfieDominant: self.Dominant, Thresholds: th}
	var score *float32
	if s.portrait != nil && self.Face != nil {
		if c, err := eng.Compare(s.portrait.Embedding, self.Face.Embedding); err == nil {
			in.Score, score = c, &c
		}
	}
	return document.Decide(in, document.DefaultLimits), score
}

func readImage(eng *mien.Engine, path string) (*face.Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return eng.Decode(b)
}
