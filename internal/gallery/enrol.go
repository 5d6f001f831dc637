package gallery

import (
	"context"
	"fmt"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
)

// Actor is who asks: a tenant and the key (or access key) acting for it.
type Actor struct {
	Tenant string
	ID     string
}

// Template is an enrolment photo's template and the quality measures it
// passed the gate with.
type Template struct {
	Embedding face.Embedding
	Quality   any
}

// NewFace is a face indexed through the Rekognition adapter: its record,
// consent included, and its template.
type NewFace struct {
	store.Face
	Embedding face.Embedding
	Quality   any
}

// CheckModel returns face.ErrModelMismatch when the collection holds
// templates of another recognizer than the engine's: they cannot be
// compared, so nothing may be enrolled into it nor searched in it.
func (g *Gallery) CheckModel(col store.Collection) error {
	if m := g.opts.Engine.ModelID(); col.Model != m {
		return fmt.Errorf("%w: collection %s holds templates of model %s, this server runs %s", face.ErrModelMismatch, col.ID, col.Model, m)
	}
	return nil
}

// checkTemplates refuses embeddings of another model than the collection's.
func (g *Gallery) checkTemplates(col store.Collection, es ...face.Embedding) error {
	if err := g.CheckModel(col); err != nil {
		return err
	}
	for _, e := range es {
		if e.Model != col.Model {
			return fmt.Errorf("%w: a template of model %s for collection %s of model %s", face.ErrModelMismatch, e.Model, col.ID, col.Model)
		}
	}
	return nil
}

func embeddings(tpls []Template) []face.Embedding {
	out := make([]face.Embedding, len(tpls))
	for i, t := range tpls {
		out[i] = t.Embedding
	}
	return out
}

func storeTemplates(tpls []Template) []store.Template {
	out := make([]store.Template, len(tpls))
	for i, t := range tpls {
		out[i] = store.Template{Vector: t.Embedding.Vector, Quality: t.Quality}
	}
	return out
}

// Enroll stores a subject with its consent record and templates (all or
// none) and adds them to the collection's index.
func (g *Gallery) Enroll(ctx context.Context, who Actor, col store.Collection, sub store.Subject, tpls []Template) (store.Subject, error) {
	if err := g.checkTemplates(col, embeddings(tpls)...); err != nil {
		return store.Subject{}, err
	}
	sub, err := g.opts.Store.Enroll(ctx, who.Tenant, col.ID, sub, storeTemplates(tpls), who.ID)
	if err != nil {
		return store.Subject{}, err
	}
	c, err := g.collection(col.ID)
	if err != nil {
		return store.Subject{}, err
	}
	for i, t := range sub.Templates {
		if err := c.add(sub.ID, t.ID, tpls[i].Embedding.Vector); err != nil {
			return store.Subject{}, err
		}
	}
	return sub, nil
}

// AddPhotos stores more templates of an enrolled subject under the consent
// record it was enrolled with (all or none), adds them to the index, and
// returns the subject as it now is.
func (g *Gallery) AddPhotos(ctx context.Context, who Actor, col store.Collection, subjectID string, tpls []Template) (store.Subject, error) {
	if err := g.checkTemplates(col, embeddings(tpls)...); err != nil {
		return store.Subject{}, err
	}
	refs, err := g.opts.Store.AddTemplates(ctx, who.Tenant, col.ID, subjectID, storeTemplates(tpls), who.ID)
	if err != nil {
		return store.Subject{}, err
	}
	c, err := g.collection(col.ID)
	if err != nil {
		return store.Subject{}, err
	}
	for i, r := range refs {
		if err := c.add(subjectID, r.ID, tpls[i].Embedding.Vector); err != nil {
			return store.Subject{}, err
		}
	}
	return g.opts.Store.Subject(ctx, who.Tenant, col.ID, subjectID)
}

// IndexFaces stores faces (each a subject of its own, all or none) and adds
// them to the index; it returns the stored records.
func (g *Gallery) IndexFaces(ctx context.Context, who Actor, col store.Collection, faces []NewFace) ([]store.Face, error) {
	nfs := make([]store.NewFace, len(faces))
	es := make([]face.Embedding, len(faces))
	for i, f := range faces {
		nfs[i] = store.NewFace{Face: f.Face, Vector: f.Embedding.Vector, Quality: f.Quality}
		es[i] = f.Embedding
	}
	if err := g.checkTemplates(col, es...); err != nil {
		return nil, err
	}
	stored, err := g.opts.Store.IndexFaces(ctx, who.Tenant, col.ID, nfs, who.ID)
	if err != nil {
		return nil, err
	}
	c, err := g.collection(col.ID)
	if err != nil {
		return nil, err
	}
	for i, f := range stored {
		if err := c.add(f.SubjectID, f.TemplateID, nfs[i].Vector); err != nil {
			return nil, err
		}
	}
	return stored, nil
}

// DeleteSubject erases a subject and its templates from the store, then
// from the index.
func (g *Gallery) DeleteSubject(ctx context.Context, who Actor, collectionID, subjectID string) error {
	sub, err := g.opts.Store.Subject(ctx, who.Tenant, collectionID, subjectID)
	if err != nil {
		return err
	}
	if _, err := g.opts.Store.DeleteSubject(ctx, who.Tenant, collectionID, subjectID, who.ID); err != nil {
		return err
	}
	c, err := g.collection(collectionID)
	if err != nil {
		return err
	}
	for _, t := range sub.Templates {
		c.remove(t.ID)
	}
	return nil
}

// DeleteFaces erases faces (by Rekognition face id) from the store, then
// from the index, and returns the records it erased.
func (g *Gallery) DeleteFaces(ctx context.Context, who Actor, collectionID string, faceIDs []string) ([]store.Face, error) {
	del, err := g.opts.Store.DeleteFaces(ctx, who.Tenant, collectionID, faceIDs, who.ID)
	if err != nil {
		return nil, err
	}
	c, err := g.collection(collectionID)
	if err != nil {
		return nil, err
	}
	for _, f := range del {
		c.remove(f.TemplateID)
	}
	return del, nil
}

// DeleteCollection erases a collection (subjects, templates and its data
// key) and drops its index.
func (g *Gallery) DeleteCollection(ctx context.Context, who Actor, collectionID string) error {
	if err := g.opts.Store.DeleteCollection(ctx, who.Tenant, collectionID, who.ID); err != nil {
		return err
	}
	g.drop(collectionID)
	return nil
}

// PurgeExpired erases every subject whose consent has expired by the
// store's clock, from the store and from the indexes, and returns how many
// it erased.
func (g *Gallery) PurgeExpired(ctx context.Context) (int, error) {
	subs, tpls, err := g.opts.Store.PurgeExpired(ctx, g.opts.Store.Now())
	if err != nil {
		return 0, err
	}
	g.mu.RLock()
	cols := make([]*collection, 0, len(g.cols))
	for _, c := range g.cols {
		cols = append(cols, c)
	}
	g.mu.RUnlock()
	for _, c := range cols {
		for _, id := range tpls {
			if _, ok := c.subjectOf(id); ok {
				c.remove(id)
			}
		}
	}
	return len(subs), nil
}
