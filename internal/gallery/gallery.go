// Package gallery is the one place mien decides a match. It enrols subjects
// (each with a consent record and one or more templates) into collections,
// keeps every collection's in-memory search index in step with the store,
// and answers verification (1:1, at a false-match rate), identification
// (1:N, at a false-positive identification rate for the collection's
// current size) and Rekognition-style face searches with the same scores,
// the same consent rule and the same ranking. The HTTP API, the Rekognition
// adapter and camera gates call it; none of them touches an index.
//
// A Gallery is safe for concurrent use.
package gallery

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mienhq/mien/index"
	"github.com/mienhq/mien/internal/store"
)

// Engine is what the gallery needs of the recognizer (mien.Engine).
type Engine interface {
	// Threshold is the calibrated cosine threshold at a per-comparison
	// false-match rate.
	Threshold(far float64) (float32, error)
	ModelID() string
}

// Scoring is how a subject with several templates is scored against a probe.
type Scoring int

const (
	// Mean scores a subject by the cosine to the normalised mean of its
	// templates (the default: on LFW, subjects of three photos, it found
	// more enrolled people than Max at the same threshold and matched
	// fewer strangers; docs/benchmarks.md).
	Mean Scoring = iota
	// Max scores a subject by its best template.
	Max
)

// DefaultFPIR is the false-positive identification rate identify uses when
// neither the request nor the collection sets one.
const DefaultFPIR = 0.01

// Options configure a Gallery.
type Options struct {
	Engine  Engine
	Store   *store.Store
	Scoring Scoring // Mean unless set
	// FPIR is the default false-positive identification rate (0: DefaultFPIR).
	FPIR float64
}

// Errors callers act on.
var (
	// ErrPolicy: the decision asked for cannot be made (an FPIR or FAR out
	// of range, or one the recognizer is not calibrated for at this size).
	ErrPolicy = errors.New("gallery: decision setting refused")
)

// Gallery holds every collection's search index.
type Gallery struct {
	opts Options
	mu   sync.RWMutex
	cols map[string]*collection
}

// New builds a gallery and loads every collection's templates from the store.
func New(ctx context.Context, opts Options) (*Gallery, error) {
	if opts.Engine == nil || opts.Store == nil {
		return nil, errors.New("gallery: an engine and a store are required")
	}
	if opts.FPIR == 0 {
		opts.FPIR = DefaultFPIR
	}
	if err := store.CheckFPIR(opts.FPIR); err != nil {
		return nil, fmt.Errorf("gallery: default %w", err)
	}
	g := &Gallery{opts: opts, cols: map[string]*collection{}}
	return g, g.load(ctx)
}

// load reads every collection's templates from the store, reserving room
// for each collection's count first.
func (g *Gallery) load(ctx context.Context) error {
	cols, err := g.opts.Store.AllCollections(ctx)
	if err != nil {
		return err
	}
	for _, c := range cols {
		col, err := g.collection(c.ID)
		if err != nil {
			return err
		}
		n, err := g.opts.Store.TemplateCount(ctx, c.ID)
		if err != nil {
			return fmt.Errorf("gallery: loading collection %s: %w", c.ID, err)
		}
		col.reserve(n)
		err = g.opts.Store.EachTemplate(ctx, c.ID, func(sid string, id int64, v []float32) error {
			return col.add(sid, id, v)
		})
		if err != nil {
			return fmt.Errorf("gallery: loading collection %s: %w", c.ID, err)
		}
	}
	return nil
}

// collection returns a collection's index, making an empty one.
func (g *Gallery) collection(id string) (*collection, error) {
	g.mu.RLock()
	c, ok := g.cols[id]
	g.mu.RUnlock()
	if ok {
		return c, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.cols[id]; ok {
		return c, nil
	}
	idx, err := index.New(index.Options{Dim: 512})
	if err != nil {
		return nil, err
	}
	c = &collection{idx: idx, subject: map[int64]string{}, templates: map[string][]int64{}}
	g.cols[id] = c
	return c, nil
}

func (g *Gallery) drop(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.cols, id)
}

// DefaultFPIR is identify's FPIR for collections that set none.
func (g *Gallery) DefaultFPIR() float64 { return g.opts.FPIR }

// Size returns how many templates and subjects a collection's index holds.
func (g *Gallery) Size(collectionID string) (templates, subjects int) {
	c, err := g.collection(collectionID)
	if err != nil {
		return 0, 0
	}
	return c.size()
}

// collection is one collection's index and who each template belongs to.
type collection struct {
	idx       *index.Index
	mu        sync.RWMutex       // guards the maps
	subject   map[int64]string   // template -> subject
	templates map[string][]int64 // subject -> its templates
}

// reserve makes room for n more templates, so that loading a large
// collection grows the index's tiers and maps once instead of copying them
// as they double.
func (c *collection) reserve(n int) {
	c.idx.Reserve(n)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.subject) == 0 && n > 0 {
		c.subject = make(map[int64]string, n)
	}
}

func (c *collection) add(sid string, id int64, v []float32) error {
	if err := c.idx.Add(id, v); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subject[id] = sid
	c.templates[sid] = append(c.templates[sid], id)
	return nil
}

func (c *collection) remove(id int64) {
	c.idx.Remove(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	sid, ok := c.subject[id]
	if !ok {
		return
	}
	delete(c.subject, id)
	ts := c.templates[sid]
	for i, t := range ts {
		if t == id {
			ts = append(ts[:i:i], ts[i+1:]...)
			break
		}
	}
	if len(ts) == 0 {
		delete(c.templates, sid)
	} else {
		c.templates[sid] = ts
	}
}

func (c *collection) subjectOf(id int64) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	sid, ok := c.subject[id]
	return sid, ok
}

func (c *collection) templatesOf(sid string) []int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]int64(nil), c.templates[sid]...)
}

func (c *collection) size() (templates, subjects int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.subject), len(c.templates)
}
