package mien_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/landmark"
	"github.com/mienhq/mien/liveness/challenge"
	"github.com/mienhq/mien/models"
)

// TestPlaneResidualOnRealLandmarks measures what the plane test sees of a
// photo held up and tilted: real LFW photos warped as a plane turned by 15-25
// degrees, YuNet boxes and the standard pack's 68-point model on each, and
// the homography residual from the untilted photo's points (face sizes).
// It requires the residuals to stay under the default floor
// (Config.PlanarResidual) for at least 95% of the tilted photos, so that a
// tilted photo is judged flat even when its frames carry no noise.
func TestPlaneResidualOnRealLandmarks(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement over 40 LFW photos")
	}
	pack := testenv.Pack(t, "standard")
	eng, err := mien.Open(pack, mien.Options{Runtime: testenv.Runtime(t), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	lm, ok := pack.Model(models.RoleLandmarks)
	if !ok {
		t.Skip("no landmark model in the standard pack")
	}
	b, err := pack.Read(lm)
	if err != nil {
		t.Fatal(err)
	}
	marks, err := landmark.New(b, lm, landmark.Options{Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer marks.Close()
	ids, _ := filepath.Glob(filepath.Join(testenv.Shared(t, "data/lfw/images"), "*"))
	sort.Strings(ids)
	ctx := context.Background()
	points := func(img *face.Image) ([]face.Point, bool) {
		dets, err := eng.Detect(ctx, img, detect.Options{})
		if err != nil || len(dets) == 0 {
			return nil, false
		}
		p, err := marks.Locate(ctx, img, dets[0].Box)
		if err != nil {
			t.Fatal(err)
		}
		return p[:], true
	}
	var res []float64
	for i := 0; i < len(ids) && len(res) < 120; i += 97 {
		files, _ := filepath.Glob(filepath.Join(ids[i], "*.jpg"))
		data, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		img, err := eng.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		ref, ok := points(tilt(img, 0, 0))
		if !ok {
			continue
		}
		for _, a := range [][2]float64{{25, 0}, {-25, 0}, {0, 15}} {
			p, ok := points(tilt(img, a[0], a[1]))
			if !ok {
				continue
			}
			_, r, err := challenge.FitHomography(ref, p)
			if err == nil {
				res = append(res, r/faceScale(ref))
			}
		}
	}
	if len(res) < 60 {
		t.Skipf("only %d tilted photos measured", len(res))
	}
	sort.Float64s(res)
	q := func(p float64) float64 { return res[min(len(res)-1, int(p*float64(len(res))))] }
	t.Logf("%d tilted photos: residual median %.4f, p90 %.4f, p95 %.4f, max %.4f face sizes", len(res), q(0.5), q(0.9), q(0.95), res[len(res)-1])
	if floor := 0.05; q(0.95) >= floor { // challenge.Config's default PlanarResidual
		t.Errorf("a tilted photo's residual reaches %.4f at p95, over the default floor %.4f", q(0.95), floor)
	}
}

func faceScale(p []face.Point) float64 {
	var cx, cy float64
	for _, q := range p {
		cx += float64(q.X)
		cy += float64(q.Y)
	}
	cx /= float64(len(p))
	cy /= float64(len(p))
	var s float64
	for _, q := range p {
		s += (float64(q.X)-cx)*(float64(q.X)-cx) + (float64(q.Y)-cy)*(float64(q.Y)-cy)
	}
	return math.Sqrt(s / float64(len(p)))
}

// tilt renders img as a flat print turned by yaw and pitch (degrees) about
// its centre, seen by a pinhole camera with a focal length of the image
// width at that distance (bilinear; outside the print is grey).
func tilt(img *face.Image, yaw, pitch float64) *face.Image {
	f := float64(img.W)
	cx, cy := float64(img.W)/2, float64(img.H)/2
	ry, rp := yaw*math.Pi/180, pitch*math.Pi/180
	// Rotation R = Rx(pitch) * Ry(yaw); a print point (u, v, 0) goes to
	// R (u-cx, v-cy, 0) + (0, 0, f), then to f x/z + cx, f y/z + cy.
	r := [9]float64{
		math.Cos(ry), 0, math.Sin(ry),
		math.Sin(rp) * math.Sin(ry), math.Cos(rp), -math.Sin(rp) * math.Cos(ry),
		-math.Cos(rp) * math.Sin(ry), math.Sin(rp), math.Cos(rp) * math.Cos(ry),
	}
	out := face.NewImage(img.W, img.H)
	for y := 0; y < img.H; y++ {
		for x := 0; x < img.W; x++ {
			// Invert: find (u, v) on the print whose image is (x, y): solve
			// (x-cx)/f = X/Z, (y-cy)/f = Y/Z with X = r0 a + r1 b, ... (a, b) = (u-cx, v-cy).
			dx, dy := (float64(x)+0.5-cx)/f, (float64(y)+0.5-cy)/f
			// Rows: (r0 - dx r6) a + (r1 - dx r7) b = dx f ; (r3 - dy r6) a + (r4 - dy r7) b = dy f
			a11, a12, b1 := r[0]-dx*r[6], r[1]-dx*r[7], dx*f
			a21, a22, b2 := r[3]-dy*r[6], r[4]-dy*r[7], dy*f
			det := a11*a22 - a12*a21
			o := 3 * (y*img.W + x)
			if math.Abs(det) < 1e-9 {
				continue
			}
			u, v := (b1*a22-a12*b2)/det+cx, (a11*b2-a21*b1)/det+cy
			c, ok := sample(img, u-0.5, v-0.5)
			if !ok {
				c = [3]float64{128, 128, 128}
			}
			for k := 0; k < 3; k++ {
				out.Pix[o+k] = uint8(c[k] + 0.5)
			}
		}
	}
	return out
}

func sample(img *face.Image, x, y float64) ([3]float64, bool) {
	x0, y0 := math.Floor(x), math.Floor(y)
	if x0 < 0 || y0 < 0 || int(x0)+1 >= img.W || int(y0)+1 >= img.H {
		return [3]float64{}, false
	}
	fx, fy := x-x0, y-y0
	var c [3]float64
	for j := 0; j < 2; j++ {
		for i := 0; i < 2; i++ {
			w := (1 - math.Abs(float64(i)-fx)) * (1 - math.Abs(float64(j)-fy))
			o := 3 * ((int(y0)+j)*img.W + int(x0) + i)
			for k := 0; k < 3; k++ {
				c[k] += w * float64(img.Pix[o+k])
			}
		}
	}
	return c, true
}
