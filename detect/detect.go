// Package detect defines the face-detector interface and the post-processing
// every detector shares (score and size filtering, non-maximum suppression).
// One sub-package per architecture implements Detector (detect/yunet,
// detect/ultraface, detect/blazeface).
package detect

import (
	"context"
	"sort"

	"github.com/mienhq/mien/face"
)

// Options filter a detector's output.
type Options struct {
	// MinScore drops detections below this confidence (0 = the detector's default).
	MinScore float32
	// MinSize drops faces whose box is smaller than this many pixels on its
	// shorter side, in the input image (0 = keep all).
	MinSize float32
	// MaxFaces keeps only the largest faces (0 = all).
	MaxFaces int
	// IoU is the NMS overlap threshold (0 = the detector's default).
	IoU float32
	// Scale, between 0 and 1, runs detection on the image scaled by this
	// factor (after the detector's own size limit), for callers that need
	// only faces large enough to be found at that size: a photo library
	// detects LFW-sized photos at half size (0 = 1: the full size the
	// detector allows). Detectors with a fixed input size ignore it.
	Scale float32
	// FaceSize, when > 0, is the smallest face (shorter side of its box, in
	// pixels of the input image) the caller needs: detection then runs on
	// the image shrunk until such a face spans SmallestFace pixels at the
	// detector, never larger than the detector's own size limit allows. A
	// photo library keeping faces of 40 px and up detects a 250x250 photo
	// at half size and a 12 MP photo at the usual 640 px. Detectors with a
	// fixed input size ignore it.
	FaceSize float32
}

// SmallestFace is the shorter side, in pixels at the detector's input,
// of the smallest face the detectors here find reliably (YuNet at the
// strides 8-32; docs/benchmarks.md, "Library indexing: the size faces
// need", has the measurement).
const SmallestFace = 20

// Detector finds faces. Implementations document whether they are safe for
// concurrent use; those built on an onnx.Pool are.
type Detector interface {
	// Detect returns the faces in img, best first. Finding none is not an error.
	Detect(ctx context.Context, img *face.Image, opts Options) ([]face.Detection, error)
	// HasLandmarks reports whether detections carry real five-point landmarks.
	HasLandmarks() bool
	Close() error
}

// NMS keeps the highest-scoring detections and drops any that overlap a kept
// one by more than iou. The input is reordered.
func NMS(dets []face.Detection, iou float32) []face.Detection {
	sort.SliceStable(dets, func(i, j int) bool { return dets[i].Score > dets[j].Score })
	keep := dets[:0]
	for _, d := range dets {
		ok := true
		for _, k := range keep {
			if d.Box.IoU(k.Box) > iou {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, d)
		}
	}
	return keep
}

// Filter applies MinSize, clamps boxes to the image and keeps at most
// MaxFaces (the largest), best score first.
func Filter(dets []face.Detection, w, h int, o Options) []face.Detection {
	out := dets[:0]
	for _, d := range dets {
		if o.MinSize > 0 && min(d.Box.Dx(), d.Box.Dy()) < o.MinSize {
			continue
		}
		d.Box = d.Box.Clamp(w, h)
		if d.Box.Empty() {
			continue
		}
		out = append(out, d)
	}
	if o.MaxFaces > 0 && len(out) > o.MaxFaces {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Box.Area() > out[j].Box.Area() })
		out = out[:o.MaxFaces]
		sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	}
	return out
}

// Fit returns the scale s <= 1 such that an image of w x h scaled by s fits
// within maxSide on its longer side.
func Fit(w, h, maxSide int) float32 {
	if maxSide <= 0 || max(w, h) <= maxSide {
		return 1
	}
	return float32(maxSide) / float32(max(w, h))
}

// InputScale is the factor a detector limited to maxSide scales a w x h
// image by before detection under o: Fit, then o.Scale, then no larger
// than a face of o.FaceSize needs.
func InputScale(w, h, maxSide int, o Options) float32 {
	s := Fit(w, h, maxSide)
	if o.Scale > 0 && o.Scale < 1 {
		s *= o.Scale
	}
	if o.FaceSize > 0 {
		s = min(s, SmallestFace/o.FaceSize)
	}
	return s
}
