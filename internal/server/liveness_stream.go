package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
)

// The WebSocket of a session: GET /v1/liveness/sessions/{lsid}/stream?nonce=...
// Binary messages in are JPEG frames (taken as captured on arrival); a text
// message {"type":"finish"} decides the session early. JSON text messages
// out: "session" once, "progress" after each frame (send the next frame
// when it comes), "error" for a frame refused, and "verdict" at the end,
// after which the server closes the connection. The session is decided as
// soon as every challenge is done and the face is back at rest (progress's
// "returning" is set in between), or a check has failed. Browsers, which
// cannot set headers on a WebSocket, offer the API key as the subprotocol
// "bearer.KEY" beside "mien.liveness.v1".

const liveProtocol = "mien.liveness.v1"

// tokenFrame redeems a tenant's liveness token for /v1/kyc/match: the best
// frame of its live session (the token is used up whatever the outcome).
func (s *Server) tokenFrame(_ context.Context, tenant, token string) (*face.Image, error) {
	t, err := s.live.redeem(tenant, token)
	if err != nil {
		return nil, err
	}
	return t.best, nil
}

// livenessRoutes registers the liveness endpoints.
func (s *Server) livenessRoutes() {
	s.opts.Liveness = s.opts.Liveness.withDefaults()
	if e, ok := s.opts.Engine.(*mien.Engine); ok && s.opts.Liveness.Engine == nil {
		s.opts.Liveness.Engine = engineLiveness{e: e, opts: mien.LivenessSessionOptions{MaxFrames: s.opts.Liveness.MaxFrames}}
	}
	s.live = newLiveSessions(s.opts.Liveness, s.auditEntry)
	s.livenessFrame = s.tokenFrame
	for _, rt := range []struct {
		pattern string
		h       handler
	}{
		{"POST /v1/liveness/sessions", s.createLiveness},
		{"GET /v1/liveness/sessions/{lsid}", s.getLiveness},
		{"DELETE /v1/liveness/sessions/{lsid}", s.deleteLiveness},
		{"POST /v1/liveness/sessions/{lsid}/frames", formOf(s.liveFrames, "nonce", "frames", "timestamps", "video", "finish")},
	} {
		s.handle(rt.pattern, store.RoleRead, rt.h)
	}
	// The WebSocket authenticates itself (a browser sends the key as a subprotocol).
	for _, rt := range []struct{ pattern string }{{"GET /v1/liveness/sessions/{lsid}/stream"}} {
		s.mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := s.streamLiveness(w, r); err != nil {
				writeError(w, r, err)
			}
		})
	}
}

// wsToken is the API key of a WebSocket request: the Authorization header,
// or a "bearer.KEY" subprotocol.
func wsToken(r *http.Request) string {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return t
	}
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if t, ok := strings.CutPrefix(strings.TrimSpace(p), "bearer."); ok {
				return t
			}
		}
	}
	return ""
}

// streamLiveness upgrades to a WebSocket once the key, the session and its
// nonce are checked (errors before that are plain HTTP answers).
func (s *Server) streamLiveness(w http.ResponseWriter, r *http.Request) error {
	r, err := s.authorize(r, wsToken(r), store.RoleRead)
	if err != nil {
		return err
	}
	eng, err := s.liveEngine()
	if err != nil {
		return err
	}
	ls, err := s.live.get(keyOf(r).TenantID, r.PathValue("lsid"))
	if err != nil {
		return err
	}
	if ls.fromCamera() != "" {
		return errFramesFromCamera
	}
	if err := ls.acquire(r.URL.Query().Get("nonce")); err != nil {
		return err
	}
	defer ls.unfeed()
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{liveProtocol}})
	if err != nil {
		return nil // Accept answered the client
	}
	c.SetReadLimit(int64(s.live.opts.MaxFrameBytes) + 1)
	// The connection lives until the session's deadline, not the request timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), ls.ch.Deadline.Sub(s.live.opts.Now())+2*time.Second)
	defer cancel()
	st := &liveStream{s: s, c: c, eng: eng, ls: ls}
	st.run(ctx)
	return nil
}

// liveStream is one WebSocket feeding one session.
type liveStream struct {
	s      *Server
	c      *websocket.Conn
	eng    LiveEngine
	ls     *liveSession
	frames int
}

func (st *liveStream) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil { // never an empty message: say what failed instead
		b, _ = json.Marshal(map[string]any{"type": "error", "code": "internal", "message": "server: a message could not be encoded: " + err.Error()})
	}
	return st.c.Write(ctx, websocket.MessageText, b)
}

func (st *liveStream) run(ctx context.Context) {
	if st.send(ctx, map[string]any{"type": "session", "session": st.s.sessionWire(st.ls)}) != nil {
		return
	}
	for {
		typ, data, err := st.c.Read(ctx)
		switch {
		case ctx.Err() != nil:
			st.finish(context.WithoutCancel(ctx)) // the deadline passed
			return
		case websocket.CloseStatus(err) == websocket.StatusMessageTooBig:
			st.c.Close(websocket.StatusMessageTooBig, "frame too large")
			return
		case err != nil:
			return // the client left; the session stays open until its deadline
		case typ == websocket.MessageText:
			var msg struct {
				Type string `json:"type"`
			}
			if json.Unmarshal(data, &msg) != nil || msg.Type != "finish" {
				st.send(ctx, map[string]any{"type": "error", "code": "bad_request", "message": `text messages must be {"type":"finish"}; frames are binary`})
				continue
			}
			st.finish(ctx)
			return
		}
		if done := st.frame(ctx, data); done {
			st.finish(ctx)
			return
		}
	}
}

// frame handles one frame; it reports whether the session can be decided.
func (st *liveStream) frame(ctx context.Context, data []byte) bool {
	st.frames++
	p, err := st.s.liveFrame(ctx, st.eng, st.ls, data, st.s.live.opts.Now())
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		st.send(ctx, map[string]any{"type": "error", "frame": st.frames, "code": ae.code, "message": ae.msg})
		return ae.code == "too_many_frames" || ae.code == "session_ended" || ae.code == "session_expired"
	case err != nil:
		code, msg := "frame_refused", err.Error()
		if errors.Is(err, ErrBusy) {
			code = "busy"
		}
		st.send(ctx, map[string]any{"type": "error", "frame": st.frames, "code": code, "message": msg})
		return false
	}
	prompt := ""
	if p.Completed < len(st.ls.ch.Challenges) {
		prompt = prompts[st.ls.ch.Challenges[p.Completed]]
	} else if p.Returning {
		prompt = "Face the camera again"
	}
	st.send(ctx, map[string]any{"type": "progress", "frame": st.frames, "faces": p.Faces, "completed": p.Completed,
		"challenge": p.Challenge, "prompt": prompt, "failed": p.Failed, "returning": p.Returning, "yaw": p.Yaw, "pitch": p.Pitch, "effort": p.Effort})
	return p.Failed || p.Completed >= len(st.ls.ch.Challenges) && !p.Returning
}

// finish decides the session and sends the verdict, then closes.
func (st *liveStream) finish(ctx context.Context) {
	v := st.s.live.end(ctx, st.ls, "")
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	st.send(wctx, map[string]any{"type": "verdict", "verdict": v})
	st.c.Close(websocket.StatusNormalClosure, "decided")
}
