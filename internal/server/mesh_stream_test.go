package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// TestMeshStreamRefuses: no key, a bad key, a bad mode or strength, and a
// full server are refused before the upgrade; a frame over the size limit
// closes the stream (1009), a frame that is not a JPEG is answered with an
// error and the stream goes on, a bad text message closes it (1003), and
// frames over the rate are dropped, not queued.
func TestMeshStreamRefuses(t *testing.T) {
	eng := testenv.Engine(t, "standard")
	e := serve(t, eng, store.Options{}, server.Options{MeshStream: server.MeshStreamOptions{MaxFrameBytes: 200 << 10, MaxFPS: 5, MaxStreams: 2}})
	for _, tc := range []struct {
		key, query string
		status     int
	}{{"", "mode=mesh", 401}, {"mien_nope", "mode=mesh", 401}, {e.admin, "mode=faces", 400},
		{e.admin, "mode=effects&beautify=2", 400}, {e.admin, "mode=effects&sticker=crown", 400}} {
		_, resp, err := dialMesh(t, e, tc.key, tc.query, false)
		if err == nil || resp == nil || resp.StatusCode != tc.status {
			t.Fatalf("%q with key %q: %v, want HTTP %d", tc.query, tc.key, err, tc.status)
		}
	}
	open := jpegFixture(t, "reaction_open_eyes.png")
	c1, _, err := dialMesh(t, e, e.admin, "mode=mesh", false)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := exchange(t, c1, []byte("GIF89a not a jpeg"), false); m.Type != "error" || !strings.Contains(m.Error, "not a JPEG") {
		t.Fatalf("not a jpeg: %+v", m)
	}
	time.Sleep(250 * time.Millisecond)
	if m, _ := exchange(t, c1, open, false); !m.Face {
		t.Fatalf("after a bad frame the stream must go on: %+v", m)
	}
	// Twenty frames at once at 5 frames/s: most are dropped on arrival.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 20 {
		if err := c1.Write(ctx, websocket.MessageBinary, open); err != nil {
			t.Fatal(err)
		}
	}
	c2, _, err := dialMesh(t, e, e.other, "mode=driver", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, resp, err := dialMesh(t, e, e.admin, "mode=mesh", false); err == nil || resp.StatusCode != 429 {
		t.Fatalf("a third stream with MaxStreams 2: %v, want 429", err)
	}
	// One more frame once the rate allows it: its answer counts the drops.
	time.Sleep(300 * time.Millisecond)
	if err := c1.Write(ctx, websocket.MessageBinary, open); err != nil {
		t.Fatal(err)
	}
	last := meshMsg{}
	for last.Dropped < 15 {
		last = readMsg(t, ctx, c1)
		if last.Seq > 10 {
			t.Fatalf("answered %d of 21 frames, 20 sent at once at 5 frames/s (dropped %d)", last.Seq, last.Dropped)
		}
	}
	// The server closes (1009) once it reads the frame's header; the rest
	// of the payload, unread, may reset the connection before the client
	// reads the close frame, so a reset is accepted, a later answer is not.
	c2.Write(ctx, websocket.MessageBinary, bytes.Repeat([]byte{0xff}, 300<<10))
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	if _, _, err := c2.Read(rctx); err == nil || rctx.Err() != nil || (websocket.CloseStatus(err) != -1 && websocket.CloseStatus(err) != websocket.StatusMessageTooBig) {
		t.Fatalf("a 300 KB frame over the 200 KB limit: %v, want the stream closed (1009)", err)
	}
	if err := c1.Write(ctx, websocket.MessageText, []byte(`{"type":"hello"}`)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err := c1.Read(ctx); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusUnsupportedData {
				t.Fatalf("a bad text message: %v, want close 1003", err)
			}
			break
		}
	}
}

// TestMeshStreamTenants: two tenants streaming at once each get only their
// own frames' answers (A sends a face, B blank frames), and no connection
// reaches any tenant's stored data (the stream reads none).
func TestMeshStreamTenants(t *testing.T) {
	eng := testenv.Engine(t, "standard")
	e := serve(t, eng, store.Options{}, server.Options{})
	ca, _, err := dialMesh(t, e, e.admin, "mode=mesh", false)
	if err != nil {
		t.Fatal(err)
	}
	cb, _, err := dialMesh(t, e, e.other, "mode=mesh", true)
	if err != nil {
		t.Fatal(err)
	}
	open, blank := jpegFixture(t, "reaction_open_eyes.png"), jpegOf(t, face.NewImage(430, 481))
	for i := range 3 {
		ma, _ := exchange(t, ca, open, false)
		mb, _ := exchange(t, cb, blank, false)
		if !ma.Face || mb.Face || ma.Seq != i+1 || mb.Seq != i+1 || mb.Points != nil {
			t.Fatalf("frame %d: A %+v / B face %v seq %d", i, ma.Face, mb.Face, mb.Seq)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// TestMeshStreamIdle: a stream that sends no frame for the idle time is
// closed by the server with 1008 and its reason, and its slot is free again.
func TestMeshStreamIdle(t *testing.T) {
	eng := testenv.Engine(t, "standard")
	e := serve(t, eng, store.Options{}, server.Options{MeshStream: server.MeshStreamOptions{Idle: 300 * time.Millisecond, MaxStreams: 1}})
	c, _, err := dialMesh(t, e, e.admin, "mode=driver", false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err = c.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, "no frame for 300ms") {
		t.Fatalf("idle stream: %v, want close 1008 naming the idle time", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c2, resp, err := dialMesh(t, e, e.admin, "mode=mesh", false)
		if err == nil {
			c2.Close(websocket.StatusNormalClosure, "")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the idle stream's slot was not freed: %v %v", err, resp)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
