package server

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// buckets are the latency histogram's upper bounds in seconds.
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics holds the Prometheus counters; safe for concurrent use.
type metrics struct {
	mu     sync.Mutex
	routes map[string]*histogram // by "METHOD pattern status-class"
	faces  atomic.Int64
}

type histogram struct {
	counts []uint64 // per bucket, cumulative at exposition
	sum    float64
	n      uint64
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	key := fmt.Sprintf("%s\x00%dxx", route, status/100)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.routes == nil {
		m.routes = map[string]*histogram{}
	}
	h := m.routes[key]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets))}
		m.routes[key] = h
	}
	s := d.Seconds()
	for i, b := range buckets {
		if s <= b {
			h.counts[i]++
		}
	}
	h.sum += s
	h.n++
}

// write renders the Prometheus text exposition format.
func (m *metrics) write(w http.ResponseWriter, queued, running int, more func(*strings.Builder)) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	var b strings.Builder
	b.WriteString("# HELP mien_http_request_duration_seconds Request latency by route and status class.\n# TYPE mien_http_request_duration_seconds histogram\n")
	m.mu.Lock()
	keys := make([]string, 0, len(m.routes))
	for k := range m.routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		route, status, _ := strings.Cut(k, "\x00")
		h := m.routes[k]
		labels := fmt.Sprintf("route=%q,status=%q", route, status)
		for i, ub := range buckets {
			fmt.Fprintf(&b, "mien_http_request_duration_seconds_bucket{%s,le=\"%g\"} %d\n", labels, ub, h.counts[i])
		}
		fmt.Fprintf(&b, "mien_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, h.n)
		fmt.Fprintf(&b, "mien_http_request_duration_seconds_sum{%s} %g\nmien_http_request_duration_seconds_count{%s} %d\n", labels, h.sum, labels, h.n)
	}
	m.mu.Unlock()
	fmt.Fprintf(&b, "# HELP mien_faces_processed_total Faces analysed by the engine.\n# TYPE mien_faces_processed_total counter\nmien_faces_processed_total %d\n", m.faces.Load())
	fmt.Fprintf(&b, "# HELP mien_queue_depth Engine calls waiting for a worker.\n# TYPE mien_queue_depth gauge\nmien_queue_depth %d\n", queued)
	fmt.Fprintf(&b, "# HELP mien_engine_busy Engine calls in progress.\n# TYPE mien_engine_busy gauge\nmien_engine_busy %d\n", running)
	if more != nil {
		more(&b)
	}
	w.Write([]byte(b.String()))
}
