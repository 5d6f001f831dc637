package library

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mienhq/mien/imageio"
)

// Export is the JSON export: every face with its source file, box and
// person. Templates are never exported.
type Export struct {
	Model  string        `json:"model"`
	People []Person      `json:"people"`
	Photos []PhotoExport `json:"photos"`
}

// PhotoExport is one photo of the export.
type PhotoExport struct {
	Hash   string   `json:"hash"`
	Paths  []string `json:"paths"`
	Width  int      `json:"width"`
	Height int      `json:"height"`
	Faces  []Face   `json:"faces"`
}

// Export returns the library's contents without templates: photos in
// order of their first path (then hash), each with its faces in index order.
func (l *Library) Export() Export {
	l.mu.Lock()
	defer l.mu.Unlock()
	ex := Export{Model: l.model, People: l.peopleLocked(), Photos: []PhotoExport{}}
	for _, p := range l.sortedPhotos() {
		ex.Photos = append(ex.Photos, l.photoExport(p))
	}
	return ex
}

// WriteJSON writes the export as indented JSON.
func (l *Library) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(l.Export())
}

// Region is one face region of an XMP sidecar.
type Region struct {
	Name string
	// X, Y are the centre and W, H the size, normalised to [0, 1].
	X, Y, W, H float64
}

// WriteXMP writes an XMP packet holding the face regions of one photo in
// the Metadata Working Group region format (mwg-rs:Regions; stArea x/y are
// the region's centre, normalised like w/h). The regions and dimensions are
// written as given: see StoredRegions for photos with an EXIF orientation.
func WriteXMP(w io.Writer, width, height int, regions []Region) error {
	var b strings.Builder
	b.WriteString("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n")
	b.WriteString("  <rdf:Description rdf:about=\"\"\n    xmlns:mwg-rs=\"http://www.metadataworkinggroup.com/schemas/regions/\"\n")
	b.WriteString("    xmlns:stArea=\"http://ns.adobe.com/xmp/sType/Area#\"\n    xmlns:stDim=\"http://ns.adobe.com/xap/1.0/sType/Dimensions#\">\n")
	b.WriteString("   <mwg-rs:Regions rdf:parseType=\"Resource\">\n")
	fmt.Fprintf(&b, "    <mwg-rs:AppliedToDimensions stDim:w=\"%d\" stDim:h=\"%d\" stDim:unit=\"pixel\"/>\n", width, height)
	b.WriteString("    <mwg-rs:RegionList>\n     <rdf:Bag>\n")
	for _, r := range regions {
		b.WriteString("      <rdf:li>\n       <rdf:Description mwg-rs:Type=\"Face\"")
		if r.Name != "" {
			b.WriteString(" mwg-rs:Name=\"")
			xml.EscapeText(&b, []byte(r.Name))
			b.WriteString("\"")
		}
		fmt.Fprintf(&b, ">\n        <mwg-rs:Area stArea:x=\"%.5f\" stArea:y=\"%.5f\" stArea:w=\"%.5f\" stArea:h=\"%.5f\" stArea:unit=\"normalized\"/>\n",
			r.X, r.Y, r.W, r.H)
		b.WriteString("       </rdf:Description>\n      </rdf:li>\n")
	}
	b.WriteString("     </rdf:Bag>\n    </mwg-rs:RegionList>\n   </mwg-rs:Regions>\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// StoredRegions maps regions and dimensions of the upright image onto the
// image as stored with EXIF orientation o, the way photo tools read MWG
// regions (pigallery2 maps them through the orientation; digiKam writes
// them so): normalised to the stored pixels, which the orientation turns
// upright for display.
func StoredRegions(width, height int, regions []Region, o int) (int, int, []Region) {
	if o < 2 || o > 8 {
		return width, height, regions
	}
	out := make([]Region, len(regions))
	for i, r := range regions {
		u, v := r.X, r.Y
		var x, y float64
		switch o {
		case 2:
			x, y = 1-u, v
		case 3:
			x, y = 1-u, 1-v
		case 4:
			x, y = u, 1-v
		case 5:
			x, y = v, u
		case 6:
			x, y = v, 1-u
		case 7:
			x, y = 1-v, 1-u
		case 8:
			x, y = 1-v, u
		}
		w, h := r.W, r.H
		if o >= 5 {
			w, h = h, w
		}
		out[i] = Region{Name: r.Name, X: x, Y: y, W: w, H: h}
	}
	if o >= 5 {
		width, height = height, width
	}
	return width, height, out
}

// orientation returns a photo's EXIF orientation from its bytes (1 when it
// has none or cannot be read; HEIF photos decode upright and give 1).
func orientation(data []byte) int {
	info, err := imageio.DecodeConfig(data, imageio.Options{})
	if err != nil {
		return 1
	}
	return info.Orientation
}

// writeSidecar writes one photo's XMP in the stored orientation.
func (l *Library) writeSidecar(w io.Writer, p PhotoExport, o int) error {
	width, height, regs := StoredRegions(p.Width, p.Height, l.regions(p), o)
	return WriteXMP(w, width, height, regs)
}

// regions returns the XMP regions of a photo's faces that are not ignored:
// the faces of named people first, then the others, each in face order.
// Readers that flatten the regions into parallel lists (exiftool's
// RegionName, RegionAreaX, ...) list names only for the regions that have
// one, so with an unnamed face before a named one they paired the name
// with the wrong area; with named regions first the i-th name belongs to
// the i-th area.
func (l *Library) regions(p PhotoExport) []Region {
	l.mu.Lock()
	defer l.mu.Unlock()
	var named, unnamed []Region
	for _, f := range p.Faces {
		if f.Ignored != "" || p.Width == 0 || p.Height == 0 {
			continue
		}
		b := f.Box.Clamp(p.Width, p.Height)
		c := b.Center()
		r := Region{Name: l.people.Names[f.Person],
			X: float64(c.X) / float64(p.Width), Y: float64(c.Y) / float64(p.Height),
			W: float64(b.Dx()) / float64(p.Width), H: float64(b.Dy()) / float64(p.Height)}
		if r.Name != "" {
			named = append(named, r)
		} else {
			unnamed = append(unnamed, r)
		}
	}
	return append(named, unnamed...)
}

// WriteSidecars writes an XMP sidecar for every photo with faces. With
// beside, each goes next to the photo's first path as NAME.xmp (the
// ExifTool and Lightroom convention); otherwise into outDir, mirroring the
// photos' paths below their common directory. It returns the number written.
func (l *Library) WriteSidecars(outDir string, beside bool) (int, error) {
	ex := l.Export()
	root := commonDir(ex.Photos)
	n := 0
	for _, p := range ex.Photos {
		if len(p.Paths) == 0 || len(l.regions(p)) == 0 {
			continue
		}
		src := p.Paths[0]
		name := strings.TrimSuffix(src, filepath.Ext(src)) + ".xmp"
		if !beside {
			rel, err := filepath.Rel(root, name)
			if err != nil {
				rel = filepath.Base(name)
			}
			name = filepath.Join(outDir, rel)
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return n, fmt.Errorf("library: %w", err)
		}
		f, err := os.Create(name)
		if err != nil {
			return n, fmt.Errorf("library: %w", err)
		}
		o := 1
		if data, rerr := os.ReadFile(src); rerr == nil {
			o = orientation(data)
		}
		err = l.writeSidecar(f, p, o)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return n, fmt.Errorf("library: %s: %w", name, err)
		}
		n++
	}
	return n, nil
}

// commonDir returns the deepest directory holding every photo's first path.
func commonDir(ps []PhotoExport) string {
	var root string
	for i, p := range ps {
		if len(p.Paths) == 0 {
			continue
		}
		d := filepath.Dir(p.Paths[0])
		if i == 0 || root == "" {
			root = d
			continue
		}
		for !strings.HasPrefix(d+string(filepath.Separator), root+string(filepath.Separator)) && root != filepath.Dir(root) {
			root = filepath.Dir(root)
		}
	}
	return root
}
