package gallery

import "github.com/mienhq/mien/index"

// ScaleIndex is the gallery's search index on its own, for measuring it at
// scale (`mien eval search`): bare vectors under ids, no store, no subjects
// and no decision. Matches are decided by Gallery alone.
type ScaleIndex struct{ x *index.Index }

// Match is one search result of a ScaleIndex.
type Match = index.Match

// NewScaleIndex returns an empty index of dim-long vectors searched with
// workers goroutines (0: GOMAXPROCS).
func NewScaleIndex(dim, workers int) (*ScaleIndex, error) {
	x, err := index.New(index.Options{Dim: dim, Workers: workers})
	if err != nil {
		return nil, err
	}
	return &ScaleIndex{x: x}, nil
}

// Reserve makes room for n more vectors (loading goes faster).
func (s *ScaleIndex) Reserve(n int) { s.x.Reserve(n) }

// Add inserts v under id.
func (s *ScaleIndex) Add(id int64, v []float32) error { return s.x.Add(id, v) }

// Search returns the k most similar vectors, best first (ties: lower id).
func (s *ScaleIndex) Search(q []float32, k int) ([]Match, error) { return s.x.Search(q, k) }

// Cost is the work one search did (rows scored in each pass, bytes read).
type Cost = index.Cost

// SearchCost is Search that also reports what the search read.
func (s *ScaleIndex) SearchCost(q []float32, k int) ([]Match, Cost, error) {
	return s.x.SearchCost(q, k)
}

// Len is the number of vectors held.
func (s *ScaleIndex) Len() int { return s.x.Len() }

// BytesPerTemplate is the memory a vector takes in the index.
func (s *ScaleIndex) BytesPerTemplate() int { return s.x.BytesPerTemplate() }

// Dot is the exact float32 score the index re-scores with.
func Dot(a, b []float32) float32 { return index.Dot(a, b) }
