package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"time"

	"github.com/mienhq/mien"
)

// errKnown stops a file whose content the library holds already before
// it is decoded: it is recorded as a new path of that photo.
var errKnown = errors.New("library: content already indexed")

// indexEach is index on the engine's pipelined batch path: workers files
// are read, hashed, decoded, detected and aligned at once while the
// recognizer embeds the faces of earlier ones in batches. Records are
// applied as photos finish and committed every batch photos; on
// cancellation the finished photos are committed first.
func (l *Library) indexEach(ctx context.Context, a EachAnalyzer, todo []file, workers, batch int, o AddOptions, rep *AddReport) error {
	bases := make([]record, len(todo))
	src := func(ctx context.Context, i int) ([]byte, error) {
		f := todo[i]
		bases[i] = record{Path: f.path, Size: f.size, MTime: f.mtime}
		data, err := os.ReadFile(f.path)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		bases[i].Hash = hex.EncodeToString(sum[:])
		l.mu.Lock()
		_, known := l.photos[bases[i].Hash]
		l.mu.Unlock()
		if known {
			return nil, errKnown
		}
		return data, nil
	}
	var pending, done int
	var werr error
	sink := func(i int, an *mien.Analysis, err error) {
		r := photoRecord(bases[i], an, err)
		if r.Type == "" || ctx.Err() != nil && err != nil && !errors.Is(err, errKnown) {
			return // cancelled mid-file: nothing to record
		}
		if werr == nil {
			werr = l.record(r, rep)
		}
		if pending++; pending >= batch && werr == nil {
			werr = l.commit()
			pending = 0
		}
		done++
		if o.Progress != nil {
			o.Progress(done, len(todo))
		}
	}
	err := a.AnalyzeEach(ctx, len(todo), mien.EachOptions{Workers: workers, Detect: o.Detect}, src, sink)
	if werr == nil {
		werr = l.commit()
	}
	return errors.Join(werr, err)
}

// photoRecord is the record of one file's outcome: a photo with its faces,
// a new path of known content, or an error (a file that could not be read
// is not remembered by hash, so it is retried).
func photoRecord(base record, an *mien.Analysis, err error) record {
	switch {
	case errors.Is(err, errKnown):
		base.Type = "path"
	case err != nil && base.Hash == "":
		return record{Type: "error", Path: base.Path, Reason: err.Error()}
	case err != nil:
		base.Type, base.Reason = "error", err.Error()
	default:
		base.Type, base.Width, base.Height, base.Added = "photo", an.Width, an.Height, time.Now().Unix()
		base.Faces = faceRecords(an)
	}
	return base
}
