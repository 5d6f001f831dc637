package stream

import (
	"fmt"

	"github.com/mienhq/mien/face"
)

// maxZoneVertices bounds a polygon.
const maxZoneVertices = 64

// Validate checks a zone: a name and a polygon of 3 to 64 finite vertices.
func (z Zone) Validate() error {
	if z.Name == "" || len(z.Name) > 64 {
		return fmt.Errorf("stream: a zone needs a name of 1 to 64 bytes")
	}
	if len(z.Polygon) < 3 || len(z.Polygon) > maxZoneVertices {
		return fmt.Errorf("stream: zone %q has %d vertices; give 3 to %d", z.Name, len(z.Polygon), maxZoneVertices)
	}
	for _, p := range z.Polygon {
		if p.X != p.X || p.Y != p.Y || p.X < -1e6 || p.X > 1e6 || p.Y < -1e6 || p.Y > 1e6 {
			return fmt.Errorf("stream: zone %q has a vertex out of range", z.Name)
		}
	}
	return nil
}

// Contains reports whether p lies inside the zone's polygon (even-odd rule;
// points on an edge may fall either way).
func (z Zone) Contains(p face.Point) bool {
	in := false
	n := len(z.Polygon)
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := z.Polygon[i], z.Polygon[j]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}

// Occupancy counts, per zone, the points inside it, into dst (cleared first).
func Occupancy(zones []Zone, points []face.Point, dst map[string]int) {
	clear(dst)
	for _, z := range zones {
		n := 0
		for _, p := range points {
			if z.Contains(p) {
				n++
			}
		}
		dst[z.Name] = n
	}
}
