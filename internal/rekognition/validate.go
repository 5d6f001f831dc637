package rekognition

import (
	"context"
	"encoding/json"
	"regexp"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
)

var (
	collectionIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_.\-]{1,255}$`)
	externalIDPattern   = regexp.MustCompile(`^[a-zA-Z0-9_.\-:]{1,255}$`)
	userIDPattern       = regexp.MustCompile(`^[a-zA-Z0-9_.\-:]{1,128}$`)
	faceIDPattern       = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

func checkCollectionID(id string) error {
	if !collectionIDPattern.MatchString(id) {
		return Invalid("CollectionId %q must be 1-255 characters of [a-zA-Z0-9_.-]", id)
	}
	return nil
}

func checkUserID(id string) error {
	if !userIDPattern.MatchString(id) {
		return Invalid("UserId %q must be 1-128 characters of [a-zA-Z0-9_.:-]", id)
	}
	return nil
}

func checkFaceIDs(ids []string, maxN int) error {
	if len(ids) == 0 || len(ids) > maxN {
		return Invalid("FaceIds must hold 1 to %d ids, got %d", maxN, len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !faceIDPattern.MatchString(id) {
			return Invalid("FaceId %q is not a face id (a lower-case UUID)", id)
		}
		if seen[id] {
			return Invalid("FaceId %s is given twice", id)
		}
		seen[id] = true
	}
	return nil
}

// image is Rekognition's Image: mien takes Bytes only.
type image struct {
	Bytes    []byte
	S3Object json.RawMessage
}

// imageBytes validates an Image field and returns its bytes.
func (h *Handler) imageBytes(field string, img *image) ([]byte, error) {
	switch {
	case img == nil:
		return nil, Invalid("%s is required", field)
	case len(img.S3Object) > 0 && string(img.S3Object) != "null":
		return nil, invalidS3Object(field)
	case len(img.Bytes) == 0:
		return nil, Invalid("%s.Bytes is required (base64-encoded image bytes)", field)
	case len(img.Bytes) > h.maxImage:
		return nil, tooLarge("%s is %d bytes, over the %d-byte limit", field, len(img.Bytes), h.maxImage)
	}
	return img.Bytes, nil
}

// maxDetected is how many faces Rekognition's image operations consider
// (the 100 largest).
const maxDetected = 100

// analyze decodes and analyses an Image field.
func (h *Handler) analyze(ctx context.Context, field string, img *image) (*mien.Analysis, error) {
	data, err := h.imageBytes(field, img)
	if err != nil {
		return nil, err
	}
	return h.backend.Analyze(ctx, data, detect.Options{MaxFaces: maxDetected})
}

// threshold validates a 0-100 threshold (nil takes def).
func threshold(name string, v *float32, def float32) (float32, error) {
	if v == nil {
		return def, nil
	}
	if *v < 0 || *v > 100 {
		return 0, Invalid("%s must be between 0 and 100, got %g", name, *v)
	}
	return *v, nil
}

// confidenceScale returns the Confidence map of the backend's detector.
func (h *Handler) confidenceScale() confidenceScale {
	return confidenceScaleFor(h.backend.DetectorID())
}
