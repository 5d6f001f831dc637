package eval

import (
	"math"
	"strings"
	"testing"
)

func TestParsePairsBothForms(t *testing.T) {
	p, err := ParsePairs(strings.NewReader("a/a_0001.jpg a/a_0002.jpg 1\nb/b_0001.jpg c/c_0003.jpg 0\n"), 1)
	if err != nil || len(p) != 2 || !p[0].Same || p[1].Same {
		t.Fatalf("%v %v", p, err)
	}
	p, err = ParsePairs(strings.NewReader("10 300\nAbel 1 2\nAbel 1 Bob 3\n"), 1)
	if err != nil || p[0].A != "Abel/Abel_0001.jpg" || p[1].B != "Bob/Bob_0003.jpg" || p[1].Same {
		t.Fatalf("%v %v", p, err)
	}
	if _, err := ParsePairs(strings.NewReader("garbage line here and more\n"), 10); err == nil {
		t.Fatal("want an error for a bad line")
	}
}

func TestFolds(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 20; i++ {
		b.WriteString("x/x_0001.jpg x/x_0002.jpg 1\n")
	}
	for i := 0; i < 20; i++ {
		b.WriteString("x/x_0001.jpg y/y_0002.jpg 0\n")
	}
	p, err := ParsePairs(strings.NewReader(b.String()), 10)
	if err != nil {
		t.Fatal(err)
	}
	if p[0].Fold != 0 || p[2].Fold != 1 || p[19].Fold != 9 || p[20].Fold != 0 || p[39].Fold != 9 {
		t.Fatalf("folds: %d %d %d %d %d", p[0].Fold, p[2].Fold, p[19].Fold, p[20].Fold, p[39].Fold)
	}
}

func TestBestThresholdAndAccuracy(t *testing.T) {
	s := []Scored{{0.9, true, 0}, {0.8, true, 0}, {0.3, true, 0}, {0.5, false, 0}, {0.2, false, 0}, {0.1, false, 0}}
	thr := BestThreshold(s)
	if got := Accuracy(s, thr); math.Abs(got-5.0/6) > 1e-9 {
		t.Fatalf("threshold %v accuracy %v, want 5/6", thr, got)
	}
	sep := []Scored{{0.9, true, 0}, {0.7, true, 0}, {0.4, false, 0}}
	if thr := BestThreshold(sep); thr <= 0.4 || thr >= 0.7 || Accuracy(sep, thr) != 1 {
		t.Fatalf("separable: threshold %v", thr)
	}
}

func TestThresholdAtFARAndTAR(t *testing.T) {
	imp := make([]float32, 1000)
	for i := range imp {
		imp[i] = float32(i) / 1000 // 0 .. 0.999
	}
	thr := ThresholdAtFAR(imp, 0.01)
	accepted := 0
	for _, v := range imp {
		if v >= thr {
			accepted++
		}
	}
	if accepted > 10 || accepted < 9 {
		t.Fatalf("threshold %v accepts %d impostors, want 10 or just under", thr, accepted)
	}
	if got := TAR([]float32{0.5, 0.995, 1}, thr); math.Abs(got-2.0/3) > 1e-9 {
		t.Fatalf("TAR %v", got)
	}
}

func TestCrossValidate(t *testing.T) {
	var s []Scored
	for k := 0; k < 10; k++ {
		s = append(s, Scored{0.8, true, k}, Scored{0.2, false, k})
	}
	for _, r := range CrossValidate(s, 10) {
		if r.Accuracy != 1 {
			t.Fatalf("fold %+v", r)
		}
	}
	m, sd := MeanStd([]float64{1, 3})
	if m != 2 || sd != 1 {
		t.Fatalf("MeanStd %v %v", m, sd)
	}
}
