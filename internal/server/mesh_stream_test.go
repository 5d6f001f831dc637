package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// meshMsg is the part of a mesh stream message the tests read.
type meshMsg struct {
	Type    string    `json:"type"`
	Seq     int       `json:"seq"`
	Face    bool      `json:"face"`
	Width   int       `json:"width"`
	Points  []float32 `json:"points"`
	Iris    []float32 `json:"iris"`
	Pose    *struct{ Yaw, Pitch, Roll float32 }
	Signals *struct {
		EyeOpen [2]float32 `json:"eye_open"`
	} `json:"signals"`
	Sample *struct{ Face bool } `json:"sample"`
	State  *struct {
		Level      string `json:"level"`
		Calibrated bool   `json:"calibrated"`
	} `json:"state"`
	Events []struct {
		Kind  string  `json:"kind"`
		Level string  `json:"level"`
		T     float64 `json:"t"`
	} `json:"events"`
	Dropped int    `json:"dropped"`
	Error   string `json:"error"`
}

// jpegFixture is a fixture re-encoded as a JPEG frame.
func jpegFixture(t *testing.T, name string) []byte {
	t.Helper()
	img, err := imageio.Decode(fixture(t, name), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return jpegOf(t, img)
}

func jpegOf(t *testing.T, img *face.Image) []byte {
	var buf bytes.Buffer
	if err := imageio.EncodeJPEG(&buf, img, 90); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func wsURL(e *env, query string) string {
	return "ws" + strings.TrimPrefix(e.url, "http") + "/v1/mesh/stream?" + query
}

// dialMesh opens a stream with the key in the Authorization header, or
// (browser style) as a "bearer.KEY" subprotocol.
func dialMesh(t *testing.T, e *env, key, query string, subprotocol bool) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o := &websocket.DialOptions{Subprotocols: []string{"mien.mesh.v1"}}
	if subprotocol {
		o.Subprotocols = append(o.Subprotocols, "bearer."+key)
	} else {
		o.HTTPHeader = http.Header{"Authorization": {"Bearer " + key}}
	}
	c, resp, err := websocket.Dial(ctx, wsURL(e, query), o)
	if err == nil {
		c.SetReadLimit(8 << 20)
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, resp, err
}

// exchange sends one frame and reads the text answer (and, in effects
// mode, the frame that follows it).
func exchange(t *testing.T, c *websocket.Conn, frame []byte, effects bool) (meshMsg, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageBinary, frame); err != nil {
		t.Fatal(err)
	}
	m := readMsg(t, ctx, c)
	if !effects || m.Type == "error" {
		return m, nil
	}
	typ, b, err := c.Read(ctx)
	if err != nil || typ != websocket.MessageBinary {
		t.Fatalf("effects frame: %v %v", typ, err)
	}
	return m, b
}

func readMsg(t *testing.T, ctx context.Context, c *websocket.Conn) meshMsg {
	t.Helper()
	typ, b, err := c.Read(ctx)
	if err != nil || typ != websocket.MessageText {
		t.Fatalf("read: %v %v", typ, err)
	}
	var m meshMsg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMeshStreamModes: a real face through the three modes answers the
// mesh, the driver monitor's view and an effect frame; the recognizer never
// runs (no template is computed on these paths).
func TestMeshStreamModes(t *testing.T) {
	eng := testenv.Engine(t, "standard")
	e := serve(t, eng, store.Options{}, server.Options{})
	runs := eng.RecognizerRuns()
	open := jpegFixture(t, "reaction_open_eyes.png")

	c, _, err := dialMesh(t, e, e.admin, "mode=mesh", false)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := exchange(t, c, open, false)
	if m.Type != "mesh" || !m.Face || len(m.Points) != 3*468 || len(m.Iris) != 4 || m.Pose == nil || m.Signals == nil || m.Signals.EyeOpen[0] < 0.2 {
		t.Fatalf("mesh mode: %+v", m)
	}
	blank := jpegOf(t, face.NewImage(320, 240))
	if m, _ = exchange(t, c, blank, false); m.Face || m.Points != nil || m.Seq != 2 {
		t.Fatalf("blank frame: %+v", m)
	}

	c, _, err = dialMesh(t, e, e.admin, "mode=driver", true) // the browser's way
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		m, _ = exchange(t, c, open, false)
		if m.Type != "driver" || !m.Face || m.Sample == nil || !m.Sample.Face || m.State == nil || m.State.Level != "ok" {
			t.Fatalf("driver frame %d: %+v", i, m)
		}
		time.Sleep(40 * time.Millisecond)
	}

	c, _, err = dialMesh(t, e, e.admin, "mode=effects&sticker=glasses&beautify=0.5", false)
	if err != nil {
		t.Fatal(err)
	}
	m, out := exchange(t, c, open, true)
	img, err := imageio.Decode(out, imageio.Options{})
	if err != nil || m.Type != "effects" || !m.Face || img.W != 430 || img.H != 481 {
		t.Fatalf("effects frame: %+v %v", m, err)
	}
	plain, _ := imageio.Decode(open, imageio.Options{})
	if d := meanAbsDiff(img, plain); d < 1 {
		t.Fatalf("the effect frame differs from the input by %.2f levels on average: no sticker drawn", d)
	}
	if got := eng.RecognizerRuns(); got != runs {
		t.Fatalf("the recognizer ran %d times during the mesh streams; it must never run", got-runs)
	}
}

func meanAbsDiff(a, b *face.Image) float64 {
	var s float64
	for i := range a.Pix {
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		if d < 0 {
			d = -d
		}
		s += d
	}
	return s / float64(len(a.Pix))
}
