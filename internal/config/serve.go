package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
)

// Serve is the server's configuration file (JSON). Every field is optional;
// the environment overrides the file, and flags override both.
type Serve struct {
	Addr           string `json:"addr"`            // MIEN_ADDR; default 127.0.0.1:8080
	Data           string `json:"data"`            // MIEN_DATA; default $MIEN_HOME/data
	MaxBodyMB      int    `json:"max_body_mb"`     // request body limit; default 20
	TimeoutSeconds int    `json:"timeout_seconds"` // per request; default 30
	Queue          int    `json:"queue"`           // engine calls waiting before 429; default 64
	Gate           *Gate  `json:"enrolment_gate"`  // enrolment quality gate; default quality.DefaultGate
	PurgeSeconds   int    `json:"purge_seconds"`   // expired-consent purge period; default 60
	// Connections (docs/configuration.md); 0 takes the default.
	MaxConns           int  `json:"max_conns"`            // open connections in all; default 1024
	MaxConnsPerIP      int  `json:"max_conns_per_ip"`     // open connections from one client IP; default 128
	ReadTimeoutSeconds int  `json:"read_timeout_seconds"` // to send a whole request; default 120
	IdleTimeoutSeconds int  `json:"idle_timeout_seconds"` // a kept-alive connection idle; default 60
	MetricsPublic      bool `json:"metrics_public"`       // serve /metrics without an admin key
	// Cameras (docs/cameras.md).
	Cameras *Cameras `json:"cameras"`
	// Library is how photos uploaded to a photo library are analysed.
	Library *Library `json:"library"`
	_       struct{}
}

// Library configures how mien serve analyses photos uploaded to a photo
// library; unset, it makes the choices of `mien library add`.
type Library struct {
	// SmallestFace: faces under this many pixels (shorter side of the box)
	// are not indexed, and detection runs at the size such a face needs;
	// 0 indexes every face, detecting at full size (nil: 40).
	SmallestFace *float64 `json:"smallest_face"`
	// Flip adds the mirrored crop's embedding (when MIEN_FLIP is on too).
	Flip bool `json:"flip"`
}

// Gate mirrors quality.Gate for the file.
type Gate struct {
	MinFaceSize  float32 `json:"min_face_size"`
	MinSharpness float32 `json:"min_sharpness"`
	MaxYaw       float32 `json:"max_yaw"`
	MaxPitch     float32 `json:"max_pitch"`
	MinBright    float32 `json:"min_brightness"`
	MaxBright    float32 `json:"max_brightness"`
}

// LoadServe reads the file at path ("" = no file), then applies the
// environment overrides. Unknown fields are an error, so typos do not pass silently.
func LoadServe(path string) (Serve, error) {
	var s Serve
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return s, fmt.Errorf("config: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if v := os.Getenv("MIEN_ADDR"); v != "" {
		s.Addr = v
	}
	if v := os.Getenv("MIEN_DATA"); v != "" {
		s.Data = v
	}
	if s.Addr == "" {
		s.Addr = "127.0.0.1:8080"
	}
	if c := s.Cameras; c != nil && (c.RetentionDays < 0 || c.MaxPerTenant < 0) {
		return s, fmt.Errorf("config: cameras.retention_days and max_per_tenant must not be negative")
	}
	if c := s.Cameras; c != nil {
		if _, err := c.WebhookAllow(); err != nil {
			return s, err
		}
	}
	if l := s.Library; l != nil && l.SmallestFace != nil && !(*l.SmallestFace >= 0 && *l.SmallestFace <= 1000) {
		return s, fmt.Errorf("config: library.smallest_face %g is outside 0-1000", *l.SmallestFace)
	}
	if s.MaxBodyMB < 0 || s.TimeoutSeconds < 0 || s.Queue < 0 || s.PurgeSeconds < 0 ||
		s.MaxConns < 0 || s.MaxConnsPerIP < 0 || s.ReadTimeoutSeconds < 0 || s.IdleTimeoutSeconds < 0 {
		return s, fmt.Errorf("config: limits must not be negative")
	}
	return s, nil
}

// Cameras configure the camera service of mien serve.
type Cameras struct {
	Disabled      bool   `json:"disabled"`       // no /v1/cameras (503) and no camera runs
	FFmpeg        string `json:"ffmpeg"`         // the ffmpeg binary; default ffmpeg on PATH
	FileDir       string `json:"file_dir"`       // the only directory file sources may name; default none (network sources only)
	RetentionDays int    `json:"retention_days"` // events and minute counts kept this long; default 30
	MaxPerTenant  int    `json:"max_per_tenant"` // cameras a tenant may have; default 16
	// WebhookAllowCIDRs are networks (CIDRs, or single addresses) that
	// webhooks and relays may call although they are loopback, private,
	// link-local...; default none (public addresses only).
	WebhookAllowCIDRs []string `json:"webhook_allow_cidrs"`
}

// WebhookAllow parses WebhookAllowCIDRs.
func (c *Cameras) WebhookAllow() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.WebhookAllowCIDRs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("config: cameras.webhook_allow_cidrs: %q is neither a CIDR (10.0.5.0/24) nor an address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
