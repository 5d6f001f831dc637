package mien

import (
	"github.com/mienhq/mien/effects"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/mesh"
)

// EffectsFace turns a tracked mesh frame into the effects' input (the
// points, iris centres, pose and mouth opening); geometry only.
func EffectsFace(f mesh.Frame) effects.Face {
	out := effects.Face{
		Points:  make([]face.Point, mesh.NumPoints),
		HasIris: f.Mesh.HasIris,
		Yaw:     f.Pose.Yaw, Pitch: f.Pose.Pitch, Roll: f.Pose.Roll,
		MouthOpen: f.Signals.MouthOpen,
	}
	for i, p := range f.Mesh.Points {
		out.Points[i] = p.XY()
	}
	if f.Mesh.HasIris {
		for e := range f.Mesh.Eyes {
			out.Iris[e] = f.Mesh.Eyes[e].Iris[0].XY()
		}
	}
	return out
}
