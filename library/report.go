package library

import (
	"context"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/raster"
)

// ReportOptions configure WriteReport.
type ReportOptions struct {
	// Thumbs is the most face thumbnails shown per person (0 = 48).
	Thumbs int
	// Size is the side of a thumbnail in pixels (0 = 96).
	Size int
	// Workers decode photos in parallel (0 = GOMAXPROCS).
	Workers int
}

type reportPerson struct {
	Person
	Title  string
	Thumbs []reportThumb
}

type reportThumb struct{ File, FaceID, Photo string }

type reportPhoto struct {
	Path          string
	Width, Height int
	Boxes         []reportBox
}

type reportBox struct {
	Left, Top, Width, Height float64 // percent
	Label                    string
}

var reportTmpl = template.Must(template.New("r").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>mien library</title><style>
body{font-family:sans-serif;margin:1em}.sheet{display:flex;flex-wrap:wrap;gap:4px}
.sheet img{width:{{.Size}}px;height:{{.Size}}px}h2{margin-bottom:.2em}.n{color:#666;font-size:90%}
.photo{position:relative;display:inline-block;margin:4px}.photo img{max-width:400px;display:block}
.box{position:absolute;border:2px solid #0c0;color:#fff;font-size:11px}.box span{background:#0c0}
</style></head><body>
<h1>{{len .People}} people, {{.Faces}} faces in {{.Photos}} photos</h1>
{{range .People}}<h2 id="p{{.ID}}">{{.Title}}</h2><div class="n">{{.Faces}} faces in {{.Photos}} photos{{if .Confirmed}}, confirmed{{end}}</div>
<div class="sheet">{{range .Thumbs}}<a href="photos.html#{{.Photo}}"><img loading="lazy" src="{{.File}}" title="{{.FaceID}}" alt="{{.FaceID}}"></a>{{end}}</div>
{{end}}</body></html>
`))

var photosTmpl = template.Must(template.New("p").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>mien library: photos</title><style>
body{font-family:sans-serif}.photo{position:relative;display:inline-block;margin:4px}
.photo img{width:100%;display:block}.box{position:absolute;border:2px solid #0c0;font-size:11px}
.box span{background:#0c0;color:#fff}</style></head><body>
{{range .}}<div class="photo" id="{{.Path}}" style="width:{{if gt .Width 400}}400{{else}}{{.Width}}{{end}}px"><img loading="lazy" src="file://{{.Path}}" alt="{{.Path}}">
{{range .Boxes}}<div class="box" style="left:{{.Left}}%;top:{{.Top}}%;width:{{.Width}}%;height:{{.Height}}%"><span>{{.Label}}</span></div>{{end}}</div>
{{end}}</body></html>
`))

// WriteReport writes a static HTML report into outDir: index.html shows
// each person as a sheet of face thumbnails with counts, photos.html each
// photo with its faces boxed. Thumbnails are cut from the original photos,
// which must still be readable.
func (l *Library) WriteReport(ctx context.Context, outDir string, o ReportOptions) error {
	if o.Thumbs <= 0 {
		o.Thumbs = 48
	}
	if o.Size <= 0 {
		o.Size = 96
	}
	if err := os.MkdirAll(filepath.Join(outDir, "thumbs"), 0o700); err != nil {
		return fmt.Errorf("library: %w", err)
	}
	ex := l.Export()
	people, wanted := l.reportPeople(ex, o.Thumbs)
	if err := writeThumbs(ctx, ex, wanted, outDir, o); err != nil {
		return err
	}
	faces := 0
	for _, p := range ex.Photos {
		faces += len(p.Faces)
	}
	if err := writeTemplate(filepath.Join(outDir, "index.html"), reportTmpl, map[string]any{
		"People": people, "Faces": faces, "Photos": len(ex.Photos), "Size": o.Size}); err != nil {
		return err
	}
	names := map[int]string{}
	for _, p := range ex.People {
		names[p.ID] = p.Name
	}
	return writeTemplate(filepath.Join(outDir, "photos.html"), photosTmpl, reportPhotos(ex, names))
}

// reportPeople picks each person's thumbnails (best-quality faces first).
func (l *Library) reportPeople(ex Export, limit int) ([]reportPerson, map[string]bool) {
	byPerson := map[int][]Face{}
	for _, p := range ex.Photos {
		for _, f := range p.Faces {
			if f.Person != 0 {
				byPerson[f.Person] = append(byPerson[f.Person], f)
			}
		}
	}
	wanted := map[string]bool{}
	var out []reportPerson
	for _, p := range ex.People {
		fs := byPerson[p.ID]
		sort.SliceStable(fs, func(i, j int) bool { return fs[i].Quality.FaceSize > fs[j].Quality.FaceSize })
		rp := reportPerson{Person: p, Title: p.Name}
		if rp.Title == "" {
			rp.Title = fmt.Sprintf("Person %d", p.ID)
		}
		for i, f := range fs {
			if i == limit {
				break
			}
			wanted[f.ID] = true
			rp.Thumbs = append(rp.Thumbs, reportThumb{File: "thumbs/" + f.ID + ".jpg", FaceID: f.ID, Photo: f.Path})
		}
		out = append(out, rp)
	}
	return out, wanted
}

// writeThumbs decodes each photo holding a wanted face once and writes the
// face crops. A photo that can no longer be read is skipped.
func writeThumbs(ctx context.Context, ex Export, wanted map[string]bool, outDir string, o ReportOptions) error {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan PhotoExport)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				thumbPhoto(p, wanted, outDir, o.Size)
			}
		}()
	}
	for _, p := range ex.Photos {
		need := false
		for _, f := range p.Faces {
			need = need || wanted[f.ID]
		}
		if !need || len(p.Paths) == 0 {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	return ctx.Err()
}

func thumbPhoto(p PhotoExport, wanted map[string]bool, outDir string, size int) {
	data, err := os.ReadFile(p.Paths[0])
	if err != nil {
		return
	}
	img, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		return
	}
	for _, f := range p.Faces {
		if !wanted[f.ID] {
			continue
		}
		crop := raster.Crop(img, f.Box.Square().Scale(1.25), size, size)
		out, err := os.OpenFile(filepath.Join(outDir, "thumbs", f.ID+".jpg"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return
		}
		imageio.EncodeJPEG(out, crop, 85)
		out.Close()
	}
}

func reportPhotos(ex Export, names map[int]string) []reportPhoto {
	var out []reportPhoto
	for _, p := range ex.Photos {
		if len(p.Faces) == 0 || len(p.Paths) == 0 || p.Width == 0 {
			continue
		}
		rp := reportPhoto{Path: p.Paths[0], Width: p.Width, Height: p.Height}
		for _, f := range p.Faces {
			b := f.Box.Clamp(p.Width, p.Height)
			label := names[f.Person]
			switch {
			case f.Ignored != "":
				label = f.Ignored
			case label == "" && f.Person != 0:
				label = fmt.Sprintf("Person %d", f.Person)
			}
			rp.Boxes = append(rp.Boxes, reportBox{Left: 100 * float64(b.Min.X) / float64(p.Width), Top: 100 * float64(b.Min.Y) / float64(p.Height),
				Width: 100 * float64(b.Dx()) / float64(p.Width), Height: 100 * float64(b.Dy()) / float64(p.Height), Label: label})
		}
		out = append(out, rp)
	}
	return out
}

func writeTemplate(path string, t *template.Template, data any) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("library: %w", err)
	}
	err = t.Execute(f, data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("library: %s: %w", path, err)
	}
	return nil
}
