package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/video"
)

// maxBurst is how many frames one upload may carry (the form's part limit
// leaves room for the fields).
const maxBurst = maxFormParts - 8

// liveFrames feeds a session by HTTP: a multipart burst of JPEG frames
// ("frames", with "timestamps": milliseconds, one per frame, increasing) or
// one short video ("video", decoded by ffmpeg at 10 frames a second), with
// the session's "nonce". The frames are taken as captured just before the
// upload, the last one now, so a burst must fit between the session's
// start and the upload. Unless "finish" is "false" the session is then
// decided and the verdict (with a token when live) is the answer.
func (s *Server) liveFrames(w http.ResponseWriter, r *http.Request) error {
	eng, err := s.liveEngine()
	if err != nil {
		return err
	}
	ls, err := s.live.get(keyOf(r).TenantID, r.PathValue("lsid"))
	if err != nil {
		return err
	}
	f, err := readForm(r)
	if errors.Is(err, errNotMultipart) {
		return badRequest(`send frames as multipart/form-data: "nonce", then "frames" (JPEG files) with "timestamps", or one "video"`)
	} else if err != nil {
		return err
	}
	finish := true
	switch r.FormValue("finish") {
	case "", "true":
	case "false":
		finish = false
	default:
		return badRequest(`finish must be "true" or "false"`)
	}
	feed, err := s.burst(f)
	if err != nil {
		return err
	}
	if ls.fromCamera() != "" {
		// the server feeds it: the client only ends it, with its nonce
		switch {
		case len(f.files["frames"]) > 0 || len(f.files["video"]) > 0:
			return errFramesFromCamera
		case !finish:
			return badRequest(`this session's frames come from its camera: send "nonce" alone to end it (its progress is in GET /v1/liveness/sessions/{id})`)
		case r.FormValue("nonce") != ls.ch.Nonce:
			return errLiveNonce
		}
		ls.stopFeed()
	}
	if err := ls.acquire(r.FormValue("nonce")); err != nil {
		return err
	}
	defer ls.unfeed()
	progress, err := feed(r, eng, ls)
	if err != nil {
		return err
	}
	if !finish {
		writeJSON(w, http.StatusOK, map[string]any{"session_id": ls.id, "progress": progress})
		return nil
	}
	writeJSON(w, http.StatusOK, s.live.end(r.Context(), ls, ""))
	return nil
}

type feeder func(r *http.Request, eng LiveEngine, ls *liveSession) ([]LiveProgress, error)

// burst checks an upload before any frame reaches the session, so that a
// malformed one changes nothing, and returns what feeds it.
func (s *Server) burst(f *memForm) (feeder, error) {
	frames, clips := f.files["frames"], f.files["video"]
	switch {
	case len(frames) > 0 && len(clips) > 0:
		return nil, badRequest(`send "frames" or one "video", not both`)
	case len(clips) > 1:
		return nil, badRequest(`send one "video"`)
	case len(clips) == 1:
		return s.clipFeeder(clips[0].data)
	case len(frames) > maxBurst:
		return nil, badRequest(fmt.Sprintf("at most %d frames in one upload", maxBurst))
	}
	ts := f.values["timestamps"]
	if len(ts) == 1 {
		ts = strings.Split(ts[0], ",")
	}
	if len(frames) > 0 && len(ts) != len(frames) {
		return nil, badRequest(fmt.Sprintf(`send one timestamp per frame in "timestamps" (milliseconds, comma-separated or one field each): %d frames, %d timestamps`, len(frames), len(ts)))
	}
	ms := make([]int64, len(frames))
	for i := range frames {
		v, err := strconv.ParseInt(strings.TrimSpace(ts[i]), 10, 64)
		if err != nil || v < 0 || i > 0 && v <= ms[i-1] {
			return nil, badRequest(fmt.Sprintf("timestamp %d (%q) must be a whole number of milliseconds, above the one before", i+1, ts[i]))
		}
		ms[i] = v
		if err := s.checkFrame(frames[i].data); err != nil {
			return nil, fmt.Errorf("frame %d: %w", i+1, err)
		}
	}
	return func(r *http.Request, eng LiveEngine, ls *liveSession) ([]LiveProgress, error) {
		now := s.live.opts.Now()
		out := []LiveProgress{}
		if n := ls.frameCount() + len(frames); n > s.live.opts.MaxFrames {
			return out, &apiError{http.StatusRequestEntityTooLarge, "too_many_frames",
				fmt.Sprintf("server: a session takes at most %d frames; this upload would make %d", s.live.opts.MaxFrames, n)}
		}
		for i := range frames {
			at := now.Add(-time.Duration(ms[len(ms)-1]-ms[i]) * time.Millisecond)
			if at.Before(ls.ch.Created) {
				return out, badRequest(fmt.Sprintf("frame %d was taken before the session began (the burst spans %d ms)", i+1, ms[len(ms)-1]-ms[0]))
			}
			p, err := s.liveFrame(r.Context(), eng, ls, frames[i].data, at)
			if err != nil {
				return out, fmt.Errorf("frame %d: %w", i+1, err)
			}
			out = append(out, p)
		}
		return out, nil
	}, nil
}

// checkFrame refuses a frame that is too large or not an image, before
// anything is decoded.
func (s *Server) checkFrame(data []byte) error {
	if len(data) > s.live.opts.MaxFrameBytes {
		return &apiError{http.StatusRequestEntityTooLarge, "frame_too_large",
			fmt.Sprintf("server: a frame is %d bytes, over the %d limit", len(data), s.live.opts.MaxFrameBytes)}
	}
	_, err := imageio.DecodeConfig(data, imageio.Options{})
	return err
}

// clipFeeder feeds a video's frames as ffmpeg decodes them. The clip is
// counted first (a fast pass at a tiny size), so that it can be refused
// before any frame reaches the session: it is taken as ending now, so it may
// not last longer than the time since the session began.
func (s *Server) clipFeeder(clip []byte) (feeder, error) {
	o := s.live.opts
	if o.FFmpeg == "" {
		return nil, &apiError{http.StatusNotImplemented, "video_unavailable", "server: video uploads need ffmpeg on the server; send frames instead"}
	}
	if len(clip) > o.MaxVideoBytes {
		return nil, &apiError{http.StatusRequestEntityTooLarge, "video_too_large", fmt.Sprintf("server: the video is %d bytes, over the %d limit", len(clip), o.MaxVideoBytes)}
	}
	co := video.ClipOptions{FFmpeg: o.FFmpeg, FPS: 10, MaxSeconds: o.MaxVideoSeconds, MaxFrames: int(o.MaxVideoSeconds * 10)}
	return func(r *http.Request, eng LiveEngine, ls *liveSession) ([]LiveProgress, error) {
		out := []LiveProgress{}
		count := co
		count.Width, count.Height = 16, 16
		n := 0
		err := video.EachClipFrame(r.Context(), clip, count, func(time.Duration, *face.Image) error { n++; return nil })
		if errors.Is(err, video.ErrClip) {
			return out, &apiError{http.StatusUnsupportedMediaType, "unsupported_video", err.Error()}
		} else if err != nil {
			return out, err
		}
		start := o.Now().Add(-time.Duration(n-1) * 100 * time.Millisecond)
		switch {
		case !start.After(ls.ch.Created):
			return out, badRequest(fmt.Sprintf("the video (%d frames at 10 a second) is longer than the time since the session began: record it after creating the session", n))
		case ls.frameCount()+n > o.MaxFrames:
			return out, &apiError{http.StatusRequestEntityTooLarge, "too_many_frames", fmt.Sprintf("server: a session takes at most %d frames; this video would make %d", o.MaxFrames, ls.frameCount()+n)}
		}
		err = video.EachClipFrame(r.Context(), clip, co, func(d time.Duration, img *face.Image) error {
			release, err := s.slot(r.Context())
			if err != nil {
				return err
			}
			defer release()
			p, err := s.live.add(r.Context(), ls, img, start.Add(d)) // the engine copies the frames it keeps
			if err != nil {
				return fmt.Errorf("video frame %d: %w", len(out)+1, err)
			}
			out = append(out, p)
			return nil
		})
		if errors.Is(err, video.ErrClip) {
			return out, &apiError{http.StatusUnsupportedMediaType, "unsupported_video", err.Error()}
		}
		return out, err
	}, nil
}
