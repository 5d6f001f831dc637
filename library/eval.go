package library

import (
	"path/filepath"

	"github.com/mienhq/mien/cluster"
)

// ScoreFolders measures the grouping against folder names, the layout of
// LFW (NAME/NAME_0001.jpg): each photo's true person is its folder, and
// the photo's face nearest its centre is the one labelled. A photo whose
// labelled face is in no person (no face found, ignored or left out of
// grouping) counts as a person of its own. It returns the scores and the
// number of photos without a grouped labelled face.
func (l *Library) ScoreFolders() (cluster.Scores, int, error) {
	ex := l.Export()
	var pred []int
	var truth []string
	missing := 0
	for i, p := range ex.Photos {
		if len(p.Paths) == 0 {
			continue
		}
		truth = append(truth, filepath.Base(filepath.Dir(p.Paths[0])))
		best, bestD := -1, float32(0)
		cx, cy := float32(p.Width)/2, float32(p.Height)/2
		for j, f := range p.Faces {
			c := f.Box.Center()
			d := (c.X-cx)*(c.X-cx) + (c.Y-cy)*(c.Y-cy)
			if best < 0 || d < bestD {
				best, bestD = j, d
			}
		}
		if best < 0 || p.Faces[best].Person == 0 {
			missing++
			pred = append(pred, -1-i)
			continue
		}
		pred = append(pred, p.Faces[best].Person)
	}
	s, err := cluster.Evaluate(pred, truth)
	return s, missing, err
}
