package video

import (
	"slices"
	"strings"
	"testing"
)

func TestParseSource(t *testing.T) {
	for _, tc := range []struct {
		src, input string
		kind       Kind
		err        string
	}{
		{"clip.mp4", "file:clip.mp4", KindFile, ""},
		{"/data/a b.mp4", "file:/data/a b.mp4", KindFile, ""},
		{"file:///data/x.ts", "file:/data/x.ts", KindFile, ""},
		{"rtsp://127.0.0.1:8554/cam", "rtsp://127.0.0.1:8554/cam", KindRTSP, ""},
		{"rtsps://cam.local/s", "rtsps://cam.local/s", KindRTSP, ""},
		{"http://cam/video.mjpg", "http://cam/video.mjpg", KindHTTP, ""},
		{"https://cdn/live.m3u8", "https://cdn/live.m3u8", KindHTTP, ""},
		{"/dev/video0", "/dev/video0", KindV4L2, ""},
		{"v4l2:///dev/video2", "/dev/video2", KindV4L2, ""},
		{"v4l2:///etc/passwd", "", "", "does not name a /dev device"},
		{"concat:a.mp4|b.mp4", "", "", "not supported"},
		{"subfile:,,start,0,end,0,,:/etc/passwd", "", "", "not supported"},
		{"pipe:0", "", "", "not supported"},
		{"", "", "", "empty source"},
		{"file://", "", "", "no path"},
	} {
		kind, input, err := ParseSource(tc.src)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "video: ") {
				t.Errorf("ParseSource(%q) err = %v, want %q", tc.src, err, tc.err)
			}
			continue
		}
		if err != nil || kind != tc.kind || input != tc.input {
			t.Errorf("ParseSource(%q) = %q, %q, %v; want %q, %q", tc.src, kind, input, err, tc.kind, tc.input)
		}
	}
}

func TestOptionsRejected(t *testing.T) {
	ok := Options{FFmpeg: "ffmpeg", Width: 640, Height: 360}
	for _, tc := range []struct {
		name string
		edit func(o *Options)
		want string
	}{
		{"no ffmpeg", func(o *Options) { o.FFmpeg = "" }, "ffmpeg path is required"},
		{"zero size", func(o *Options) { o.Width = 0 }, "outside"},
		{"huge", func(o *Options) { o.Height = 100000 }, "outside"},
		{"odd", func(o *Options) { o.Width = 641 }, "even"},
		{"fps", func(o *Options) { o.FPS = -1 }, "fps"},
		{"transport", func(o *Options) { o.Transport = "http" }, "transport"},
		{"lavfi", func(o *Options) { o.Format = "lavfi" }, "input format"},
	} {
		o := ok
		tc.edit(&o)
		if _, err := New("clip.mp4", o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	s, err := New("clip.mp4", ok)
	if err != nil {
		t.Fatal(err)
	}
	if h := s.Health(); h.State != StateIdle || h.FramesIn != 0 {
		t.Errorf("new source health = %+v", h)
	}
}

func TestArgs(t *testing.T) {
	o, err := Options{FFmpeg: "ffmpeg", Width: 1280, Height: 720, FPS: 5, Transport: "udp",
		HWAccel: "vaapi", HWAccelDevice: "/dev/dri/renderD128"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	a := o.Args(KindRTSP, "rtsp://h/s")
	for _, want := range [][]string{
		{"-rtsp_transport", "udp"}, {"-hwaccel", "vaapi"}, {"-hwaccel_device", "/dev/dri/renderD128"},
		{"-i", "rtsp://h/s"}, {"-pix_fmt", "rgb24"}, {"-f", "rawvideo", "pipe:1"},
		{"-protocol_whitelist", protocols[KindRTSP]},
		{"-vf", "fps=5,scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2"},
	} {
		if !containsRun(a, want) {
			t.Errorf("args %q lack %q", a, want)
		}
	}
	// frames only ever go to the pipe: no output file, whatever the kind
	for _, k := range []Kind{KindFile, KindRTSP, KindHTTP, KindV4L2} {
		if args := o.Args(k, "x"); args[len(args)-1] != "pipe:1" || slices.Contains(args, "-y") {
			t.Errorf("%s: ffmpeg output is %q, not the pipe", k, args[len(args)-1])
		}
	}
	f := Options{FFmpeg: "ffmpeg", Width: 2, Height: 2, Loop: true, Realtime: true}.Args(KindFile, "file:x")
	if !containsRun(f, []string{"-stream_loop", "-1"}) || !slices.Contains(f, "-re") || slices.Contains(f, "-rtsp_transport") {
		t.Errorf("file args %q", f)
	}
	if v := (Options{Width: 2, Height: 2}).Args(KindV4L2, "/dev/video0"); !containsRun(v, []string{"-f", "v4l2", "-i", "/dev/video0"}) {
		t.Errorf("v4l2 args %q", v)
	}
	// the decoding-cost options: decoder settings before -i, scaler flags in the filter and for the conversion
	c := Options{Width: 640, Height: 360, FPS: 5, Threads: 1, SkipFrame: "noref", NoDeblock: true, ScaleFlags: "fast_bilinear"}.Args(KindFile, "file:x")
	for _, want := range [][]string{{"-threads", "1", "-skip_frame", "noref", "-skip_loop_filter", "all", "-i", "file:x"}, {"-sws_flags", "fast_bilinear", "-pix_fmt"},
		{"-vf", "fps=5,scale=640:360:force_original_aspect_ratio=decrease:flags=fast_bilinear,pad=640:360:(ow-iw)/2:(oh-ih)/2"}} {
		if !containsRun(c, want) {
			t.Errorf("args %q lack %q", c, want)
		}
	}
	if d := (Options{Width: 2, Height: 2}).Args(KindFile, "file:x"); slices.Contains(d, "-skip_loop_filter") {
		t.Errorf("deblocking skipped without NoDeblock: %q", d)
	}
	for _, bad := range []Options{{Threads: -1}, {SkipFrame: "nonref"}, {ScaleFlags: "lanczos;rm"}} {
		bad.FFmpeg, bad.Width, bad.Height = "ffmpeg", 2, 2
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func containsRun(a, run []string) bool {
	for i := 0; i+len(run) <= len(a); i++ {
		if slices.Equal(a[i:i+len(run)], run) {
			return true
		}
	}
	return false
}

func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"clip.mp4", "rtsp://h/s", "http://h/a.m3u8", "/dev/video0", "v4l2:///dev/video1",
		"file:///x", "concat:a|b", "subfile:,,start,0,end,0,,:/etc/passwd", "pipe:0", "RTSP://H/S", "data:,x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		kind, input, err := ParseSource(src)
		if err != nil {
			return
		}
		switch kind {
		case KindFile:
			if !strings.HasPrefix(input, "file:") {
				t.Errorf("file source %q opens %q", src, input)
			}
		case KindV4L2:
			if !strings.HasPrefix(input, "/dev/") {
				t.Errorf("v4l2 source %q opens %q", src, input)
			}
		case KindRTSP, KindHTTP:
			if input != src {
				t.Errorf("%s source %q opens %q", kind, src, input)
			}
			if _, ok := protocols[kind]; !ok {
				t.Errorf("no protocol whitelist for %s", kind)
			}
		default:
			t.Errorf("unknown kind %q for %q", kind, src)
		}
	})
}
