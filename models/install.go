package models

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"time"
)

// maxFile bounds a single model file and a downloaded tarball.
const maxFile = 512 << 20

// InstallOptions control Install.
type InstallOptions struct {
	// From lists local mirror directories, searched in order before any
	// download: a file is found there by its Source.Mirror path, by its file
	// name, or inside an npm tarball named like the one at Source.URL.
	From []string
	// Client downloads files (nil: a client with a 10-minute timeout).
	Client *http.Client
	// Progress, when set, is called as bytes of a file arrive.
	Progress func(file string, done, total int64)
	// Force re-fetches files that are already present and correct.
	Force bool
	// Log, when set, is told where each file came from.
	Log func(format string, args ...any)
}

// Install fetches every file of m into dir, checks each sha256 and writes
// the manifest last, so that a half-installed pack never loads. Files
// already present with the right checksum are kept.
func Install(ctx context.Context, m Manifest, dir string, opts InstallOptions) (*Pack, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	in := &installer{ctx: ctx, dir: dir, opts: opts, tarballs: map[string]string{}}
	defer in.cleanup()
	for _, mod := range m.Models {
		if err := in.file(mod); err != nil {
			return nil, err
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	if err := writeAtomic(filepath.Join(dir, ManifestFile), b); err != nil {
		return nil, err
	}
	return Load(dir)
}

type installer struct {
	ctx      context.Context
	dir      string
	opts     InstallOptions
	tarballs map[string]string // URL -> downloaded temp file
}

func (in *installer) logf(format string, args ...any) {
	if in.opts.Log != nil {
		in.opts.Log(format, args...)
	}
}

func (in *installer) cleanup() {
	for _, p := range in.tarballs {
		os.Remove(p)
	}
}

// file puts one model file in place.
func (in *installer) file(m Model) error {
	dst := filepath.Join(in.dir, m.File)
	if !in.opts.Force {
		if sum, err := fileSHA256(dst); err == nil && sum == m.SHA256 {
			return nil // already installed
		}
	}
	for _, d := range in.opts.From {
		for _, rel := range []string{m.Source.Mirror, m.File} {
			if rel == "" {
				continue
			}
			if f, err := os.Open(filepath.Join(d, filepath.FromSlash(rel))); err == nil {
				err = in.place(m, f, "mirror "+d)
				f.Close()
				return err
			}
		}
		if m.Source.Member != "" && m.Source.URL != "" {
			tgz := filepath.Join(d, path.Base(m.Source.URL))
			if _, err := os.Stat(tgz); err == nil {
				return in.fromTarball(m, tgz, "mirror "+tgz)
			}
		}
	}
	if m.Source.URL == "" {
		return fmt.Errorf("models: %s: not found in %v and the manifest names no URL", m.File, in.opts.From)
	}
	if m.Source.Member != "" {
		tgz, err := in.downloadTarball(m)
		if err != nil {
			return err
		}
		return in.fromTarball(m, tgz, m.Source.URL)
	}
	body, size, err := in.get(m.Source.URL)
	if err != nil {
		return fmt.Errorf("models: %s: cannot download %s (%v): install from a local mirror with: mien models install PACK --from DIR", m.File, m.Source.URL, err)
	}
	defer body.Close()
	return in.place(m, &progressReader{r: body, file: m.File, total: size, fn: in.opts.Progress}, m.Source.URL)
}

func (in *installer) get(url string) (io.ReadCloser, int64, error) {
	req, err := http.NewRequestWithContext(in.ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := in.opts.Client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, 0, fmt.Errorf("HTTP %s", resp.Status)
	}
	return resp.Body, resp.ContentLength, nil
}

// downloadTarball fetches an npm tarball once per URL into a temp file.
func (in *installer) downloadTarball(m Model) (string, error) {
	if p, ok := in.tarballs[m.Source.URL]; ok {
		return p, nil
	}
	body, size, err := in.get(m.Source.URL)
	if err != nil {
		return "", fmt.Errorf("models: %s: cannot download %s (%v): install from a local mirror with: mien models install PACK --from DIR", m.File, m.Source.URL, err)
	}
	defer body.Close()
	f, err := os.CreateTemp(in.dir, ".download-*.tgz")
	if err != nil {
		return "", fmt.Errorf("models: %w", err)
	}
	in.tarballs[m.Source.URL] = f.Name()
	pr := &progressReader{r: body, file: path.Base(m.Source.URL), total: size, fn: in.opts.Progress}
	n, err := io.Copy(f, io.LimitReader(pr, maxFile+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxFile {
		err = fmt.Errorf("larger than %d bytes", maxFile)
	}
	if err != nil {
		return "", fmt.Errorf("models: downloading %s: %w", m.Source.URL, err)
	}
	return f.Name(), nil
}

// fromTarball extracts the model's member from a gzipped tar.
func (in *installer) fromTarball(m Model, tgz, origin string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("models: %s: not a gzipped tarball: %w", tgz, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("models: %s: %s has no member %s", m.File, origin, m.Source.Member)
		}
		if err != nil {
			return fmt.Errorf("models: %s: reading %s: %w", m.File, origin, err)
		}
		if path.Clean(h.Name) != path.Clean(m.Source.Member) || h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > maxFile {
			return fmt.Errorf("models: %s: member is %d bytes, over the %d limit", m.File, h.Size, maxFile)
		}
		return in.place(m, tr, origin+" ("+m.Source.Member+")")
	}
}

// place streams r into a temp file beside the target, checks the sha256
// and renames it into place; a mismatch leaves nothing behind.
func (in *installer) place(m Model, r io.Reader, origin string) error {
	tmp, err := os.CreateTemp(in.dir, ".part-*")
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, maxFile+1))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("models: %s: copying from %s: %w", m.File, origin, err)
	}
	if n > maxFile {
		return fmt.Errorf("models: %s: larger than %d bytes", m.File, maxFile)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.SHA256 {
		return fmt.Errorf("models: %s from %s: sha256 is %s, the manifest says %s: refusing it", m.File, origin, got, m.SHA256)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(in.dir, m.File)); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	in.logf("%s: installed from %s", m.File, origin)
	return nil
}

func writeAtomic(p string, b []byte) error {
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	return nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type progressReader struct {
	r     io.Reader
	file  string
	done  int64
	total int64
	fn    func(string, int64, int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.fn != nil && n > 0 {
		p.fn(p.file, p.done, p.total)
	}
	return n, err
}
