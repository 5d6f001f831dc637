package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mienhq/mien/internal/config"
	"github.com/mienhq/mien/internal/events"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/quality"
)

func init() {
	register(command{name: "serve", summary: "run the HTTP API (enrolled galleries, 1:1 and 1:N, consent and erasure)", run: runServe})
}

// masterKey reads the master key from the environment.
func masterKey(env *Env) ([]byte, error) {
	v := env.Config.MasterKey
	if env.Config.MasterKeyFile != "" {
		b, err := os.ReadFile(env.Config.MasterKeyFile)
		if err != nil {
			return nil, fmt.Errorf("reading MIEN_MASTER_KEY_FILE: %w", err)
		}
		v = strings.TrimSpace(string(b))
	}
	if v == "" {
		return nil, errors.New("no master key: set MIEN_MASTER_KEY (64 hex digits, e.g. from `openssl rand -hex 32`) or MIEN_MASTER_KEY_FILE, or run with --dev to try mien with a throwaway key")
	}
	k, err := hex.DecodeString(v)
	if err != nil || len(k) != 32 {
		return nil, errors.New("the master key must be 64 hex digits (32 bytes)")
	}
	return k, nil
}

// openKeyedStore opens the store of a data directory with the master key
// from the environment (for the commands beside serve).
func openKeyedStore(ctx context.Context, env *Env, data string) (*store.Store, error) {
	key, err := masterKey(env)
	if err != nil {
		return nil, err
	}
	return openStore(ctx, env, data, key)
}

func openStore(ctx context.Context, env *Env, data string, key []byte) (*store.Store, error) {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	return store.Open(ctx, filepath.Join(data, "mien.db"), store.Options{MasterKey: key})
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "serve", "[--addr HOST:PORT] [--data DIR] [--dev]", "Run mien's HTTP API.")
	var ef engineFlags
	ef.register(fs)
	addr := fs.String("addr", "", "address to listen on (default: $MIEN_ADDR, the config file, else 127.0.0.1:8080)")
	data := fs.String("data", "", "data directory (default: $MIEN_DATA, the config file, else $MIEN_HOME/data; with --dev a temporary directory)")
	dev := fs.Bool("dev", false, "try mien out: a throwaway master key and data directory, and a fresh admin key printed")
	cfgPath := fs.String("config", "", "JSON configuration file (see docs/configuration.md)")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintf(env.Stderr, "\nThe environment overrides the configuration file (docs/configuration.md).\n%s", config.Help())
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fileCfg, err := config.LoadServe(*cfgPath)
	if err != nil {
		return err
	}
	if *addr == "" {
		*addr = fileCfg.Addr
	}
	if *dev && *data != "" {
		return errors.New("serve: --dev makes a throwaway master key, data directory and admin key; it cannot be used with --data (it would write a dev admin key into that database)")
	}
	if *data == "" && !*dev {
		*data = fileCfg.Data
	}
	key, err := masterKey(env)
	if *dev {
		key = make([]byte, 32)
		rand.Read(key)
		if *data, err = os.MkdirTemp("", "mien-dev-"); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if *data == "" {
		*data = filepath.Join(env.Config.Home, "data")
	}
	st, err := openStore(ctx, env, *data, key)
	if err != nil {
		return err
	}
	defer st.Close()
	firstKey, err := bootstrap(ctx, env, st, *dev)
	if err != nil {
		return err
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	log := slog.New(slog.NewJSONHandler(env.Stderr, nil))
	opts := server.Options{Engine: eng, Store: st, Logger: log, Workers: env.Config.Workers,
		MaxBody: int64(fileCfg.MaxBodyMB) << 20, Timeout: time.Duration(fileCfg.TimeoutSeconds) * time.Second, Queue: fileCfg.Queue,
		LibraryDir: filepath.Join(*data, "libraries"), GroupDelay: libraryGroupDelay, MetricsPublic: fileCfg.MetricsPublic}
	if ff, err := exec.LookPath("ffmpeg"); err == nil {
		opts.Liveness.FFmpeg = ff // decodes liveness video uploads; without it they answer 501
	}
	if g := fileCfg.Gate; g != nil {
		opts.Gate = quality.Gate{MinFaceSize: g.MinFaceSize, MinSharpness: g.MinSharpness, MaxYaw: g.MaxYaw, MaxPitch: g.MaxPitch, MinBright: g.MinBright, MaxBright: g.MaxBright}
	}
	opts.Cameras = cameraOptions(env, eng, fileCfg.Cameras)
	if l := fileCfg.Library; l != nil {
		opts.Library.Flip = l.Flip
		if f := l.SmallestFace; f != nil {
			opts.Library.SmallestFace, opts.Library.EveryFace = float32(*f), *f == 0
		}
	}
	srv, err := server.New(ctx, opts)
	if err != nil {
		return err
	}
	camsDone := make(chan error, 1)
	go func() { camsDone <- srv.RunCameras(ctx) }()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "mien is listening on http://%s (data %s)\n  web UI: http://%s/  (sign in with an API key)\n", ln.Addr(), *data, ln.Addr())
	fmt.Fprintf(env.Stdout, "  AWS Rekognition endpoint: http://%s  (access keys: POST /v1/rekognition/keys or mien keys create-aws)\n", ln.Addr())
	if firstKey != "" {
		fmt.Fprintf(env.Stdout, "admin API key (shown once): %s\n  try: curl -H 'Authorization: Bearer %s' http://%s/v1/collections\n", firstKey, firstKey, ln.Addr())
	} else {
		fmt.Fprintln(env.Stdout, "API keys: mien keys create --data DIR --tenant NAME --role admin (or set MIEN_BOOTSTRAP_ADMIN_KEY)")
	}
	go purgeLoop(ctx, srv, log, time.Duration(fileCfg.PurgeSeconds)*time.Second)
	limits := server.ConnLimits{MaxConns: fileCfg.MaxConns, MaxConnsPerIP: fileCfg.MaxConnsPerIP,
		ReadTimeout: time.Duration(fileCfg.ReadTimeoutSeconds) * time.Second, IdleTimeout: time.Duration(fileCfg.IdleTimeoutSeconds) * time.Second}
	hs := srv.HTTPServer(limits)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(server.LimitListener(ln, limits)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(env.Stderr, "mien: shutting down, draining requests")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	if cerr := <-camsDone; cerr != nil {
		log.Error("cameras", "err", cerr)
	}
	return err
}

// cameraEngine is what cameras use of the engine: detection, and templates
// for gate cameras only.
type cameraEngine interface {
	server.CameraDetector
	server.CameraEmbedder
}

// cameraOptions enables cameras unless the configuration turns them off or
// ffmpeg cannot be found.
func cameraOptions(env *Env, eng cameraEngine, c *config.Cameras) *server.CameraOptions {
	if c == nil {
		c = &config.Cameras{}
	}
	if c.Disabled {
		return nil
	}
	ff := c.FFmpeg
	if ff == "" {
		ff = "ffmpeg"
	}
	path, err := exec.LookPath(ff)
	if err != nil {
		fmt.Fprintf(env.Stderr, "mien: cameras are off: ffmpeg not found (%v); install it (apt-get install ffmpeg) or set cameras.ffmpeg\n", err)
		return nil
	}
	allow, err := c.WebhookAllow() // config.LoadServe has checked it
	if err != nil {
		fmt.Fprintf(env.Stderr, "mien: cameras are off: %v\n", err)
		return nil
	}
	live, _ := eng.(server.CameraLiveness) // its models open with the first gate camera that checks liveness
	return &server.CameraOptions{Detector: eng, Embedder: eng, Liveness: live, FFmpeg: path, FileDir: c.FileDir, MaxPerTenant: c.MaxPerTenant,
		Retention: time.Duration(c.RetentionDays) * 24 * time.Hour, Outbound: &events.Guard{Allow: allow}}
}

// bootstrap creates the first admin key: from MIEN_BOOTSTRAP_ADMIN_KEY, or
// a fresh one in dev mode (returned to print).
func bootstrap(ctx context.Context, env *Env, st *store.Store, dev bool) (string, error) {
	if env.Config.BootstrapKey != "" {
		t, err := st.CreateTenant(ctx, env.Config.BootstrapTenant)
		if err != nil {
			return "", err
		}
		_, err = st.ImportKey(ctx, t.ID, store.RoleAdmin, env.Config.BootstrapKey)
		if errors.Is(err, store.ErrRevoked) {
			// Revoking the bootstrap key must not stop the server, nor be undone by a restart.
			fmt.Fprintln(env.Stderr, "mien: MIEN_BOOTSTRAP_ADMIN_KEY was revoked; it stays revoked (unset it, or set a new key)")
			return "", nil
		}
		return "", err
	}
	if !dev {
		return "", nil
	}
	t, err := st.CreateTenant(ctx, "dev")
	if err != nil {
		return "", err
	}
	token, _, err := st.CreateKey(ctx, t.ID, store.RoleAdmin, "dev")
	return token, err
}

// libraryIdle is how long a photo library stays in memory after its last
// request (the purge loop closes it; the next request opens it again).
const libraryIdle = 10 * time.Minute

// libraryGroupDelay is how long after an upload a library groups its new
// faces: a burst of uploads is grouped once, after it.
const libraryGroupDelay = 2 * time.Second

// purgeLoop erases subjects whose consent expired, every minute.
func purgeLoop(ctx context.Context, srv *server.Server, log *slog.Logger, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if subs, err := srv.PurgeExpired(ctx); err != nil {
			log.Error("consent purge", "err", err)
		} else if subs > 0 {
			log.Info("consent purge", "subjects", subs)
		}
		if faces, err := srv.ExpireLibraries(ctx, time.Now()); err != nil {
			log.Error("library expiry", "err", err)
		} else if faces > 0 {
			log.Info("library expiry", "faces", faces)
		}
		if n, err := srv.PurgeCameraData(ctx, time.Now()); err != nil {
			log.Error("camera retention", "err", err)
		} else if n > 0 {
			log.Info("camera retention", "events", n)
		}
		if n, err := srv.CloseIdleLibraries(libraryIdle); err != nil {
			log.Error("closing idle libraries", "err", err)
		} else if n > 0 {
			log.Info("closed idle libraries", "libraries", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
