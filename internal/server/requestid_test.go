package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
)

// failingEngine fails every analysis with an error only the log may show.
type failingEngine struct{}

var errEngineBroke = errors.New("onnx: run: secret internal detail 0xdeadbeef")

func (failingEngine) Analyze(context.Context, []byte, detect.Options) (*mien.Analysis, error) {
	return nil, errEngineBroke
}
func (failingEngine) Compare(a, b face.Embedding) (float32, error) { return face.Cosine(a, b) }
func (failingEngine) Threshold(float64) (float32, error)           { return 0.3, nil }
func (failingEngine) ModelID() string                              { return "fake-recognizer" }

// logBuffer collects a server's JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns what was written.
func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// lines returns the log lines naming the request id.
func (l *logBuffer) lines(t *testing.T, id string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if m["request_id"] == id {
			out = append(out, m)
		}
	}
	return out
}

func errorBody(t *testing.T, b []byte) map[string]string {
	t.Helper()
	var out struct {
		Error map[string]string `json:"error"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return out.Error
}

// Test500CarriesRequestID: a 500 names its request id in the answer (header
// and body) and in the log, with the error behind it, which the caller never
// sees.
func Test500CarriesRequestID(t *testing.T) {
	var logs logBuffer
	e := serve(t, failingEngine{}, store.Options{}, server.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	body, ctype := form(map[string][][]byte{"image": {[]byte("any bytes")}}, nil)
	code, h, b := e.raw("POST", "/v1/detect", e.admin, body, ctype)
	if code != http.StatusInternalServerError {
		t.Fatalf("status %d %s", code, b)
	}
	id := h.Get("X-Request-Id")
	eb := errorBody(t, b)
	if id == "" || eb["request_id"] != id {
		t.Fatalf("header id %q, body %v", id, eb)
	}
	if strings.Contains(string(b), "deadbeef") {
		t.Errorf("the answer shows the internal error: %s", b)
	}
	lines := logs.lines(t, id)
	if len(lines) != 1 || lines[0]["level"] != "ERROR" || lines[0]["status"] != float64(500) ||
		!strings.Contains(lines[0]["err"].(string), "secret internal detail 0xdeadbeef") || lines[0]["path"] != "/v1/detect" {
		t.Fatalf("log lines for %s: %v", id, lines)
	}
}

// TestRequestIDEverywhere: every answer has an id (the caller's when sane),
// every error body and request log line names it, and the audit entries a
// request writes record it.
func TestRequestIDEverywhere(t *testing.T) {
	var logs logBuffer
	e := serve(t, failingEngine{}, store.Options{}, server.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	send := func(method, path, key, id, body string) (int, http.Header, []byte) {
		req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return resp.StatusCode, resp.Header, buf.Bytes()
	}

	// A caller's sane id is kept, on an error (401) as on a success.
	code, h, b := send("GET", "/v1/collections", "", "client-req.42", "")
	if code != 401 || h.Get("X-Request-Id") != "client-req.42" || errorBody(t, b)["request_id"] != "client-req.42" {
		t.Errorf("401: %d %q %s", code, h.Get("X-Request-Id"), b)
	}
	if l := logs.lines(t, "client-req.42"); len(l) != 1 || l[0]["level"] != "INFO" || l[0]["status"] != float64(401) {
		t.Errorf("log of the 401: %v", l)
	}
	// An id that could forge a log line is replaced.
	code, h, b = send("GET", "/healthz", "", "x\" level=ERROR", "")
	if code != 200 || !uuidLike(h.Get("X-Request-Id")) {
		t.Errorf("unsafe caller id: answered %q", h.Get("X-Request-Id"))
	}
	// Audited: the entry names the request.
	code, h, b = send("POST", "/v1/collections", e.admin, "", `{"name":"staff"}`)
	if code != 201 || !uuidLike(h.Get("X-Request-Id")) {
		t.Fatalf("create collection: %d %s", code, b)
	}
	id := h.Get("X-Request-Id")
	ka, err := e.st.Authenticate(context.Background(), e.admin)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := e.st.AuditLog(context.Background(), ka.TenantID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, en := range entries {
		if en.Action == "collection.create" {
			found = en.Detail["request_id"] == id
		}
	}
	if !found {
		t.Errorf("the collection.create audit entry does not record request %s: %+v", id, entries)
	}
	if _, err := e.st.VerifyAudit(context.Background()); err != nil {
		t.Errorf("audit chain with request ids: %v", err)
	}
}

func uuidLike(s string) bool { return len(s) == 36 && strings.Count(s, "-") == 4 }
