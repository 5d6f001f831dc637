package server_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/mienhq/mien/cluster"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

var (
	libPeople = flag.Int("server.libpeople", 0, "upload LFW photos of this many people (>= 4 photos each, at most 12) to a library over HTTP and measure it (e.g. 300)")
	libSkip   = flag.Int("server.libskip", 0, "skip this many such people first (300: the held-out people of docs/benchmarks.md)")
)

// TestLibraryUploadLoad measures the photo library through the server as
// the web UI drives it: requests of 8 photos, one after another, the
// grouping once the burst is over, then the grouping scored against the LFW
// names:
//
//	go test ./internal/server -run LibraryUploadLoad -v -server.libpeople 300 [-server.libskip 300]
func TestLibraryUploadLoad(t *testing.T) {
	if *libPeople == 0 {
		t.Skip("run with -server.libpeople N to measure library uploads over HTTP")
	}
	dir := testenv.Shared(t, "data/lfw/images")
	// As mien serve runs it: a burst of uploads is grouped once, 2 s after it.
	e := serve(t, testenv.Engine(t, "standard"), store.Options{}, server.Options{MaxBody: 2 << 20, GroupDelay: 2 * time.Second})
	lib := e.library(e.admin, "lfw")
	people, _ := os.ReadDir(dir)
	var photos [][]byte
	who := map[string]string{}
	n, skipped := 0, 0
	for _, p := range people {
		files, _ := filepath.Glob(filepath.Join(dir, p.Name(), "*.jpg"))
		if len(files) < 4 {
			continue
		}
		if skipped < *libSkip {
			skipped++
			continue
		}
		sort.Strings(files)
		for _, f := range files[:min(12, len(files))] {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			photos = append(photos, b)
			who[hashOf(b)] = p.Name()
		}
		if n++; n == *libPeople {
			break
		}
	}
	start, cpu0 := time.Now(), processCPU()
	for i := 0; i < len(photos); i += 8 {
		if code, out := e.upload(e.admin, lib, photos[i:min(i+8, len(photos))]...); code != 200 {
			t.Fatalf("upload %d: %d %v", i, code, out)
		}
	}
	uploaded := time.Since(start)
	for {
		if _, l := e.call("GET", lib, e.admin, nil, ""); l["grouping_pending"] == false {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	took, cpu := time.Since(start), processCPU()-cpu0
	got := mainFaces(t, e, lib)
	var pred, truth []string
	for h, person := range got {
		label := fmt.Sprint(person)
		if person == 0 {
			label = "none-" + h
		}
		pred, truth = append(pred, label), append(truth, who[h])
	}
	s, err := cluster.Evaluate(pred, truth)
	if err != nil {
		t.Fatal(err)
	}
	_, l := e.call("GET", lib, e.admin, nil, "")
	t.Logf("%d people, %d photos (%v faces) uploaded in requests of 8 in %v, grouped %v later: %.1f photos/s; CPU (user+sys, this process) %v, %.1f ms a photo; %v people found; central faces: %v",
		n, len(photos), l["faces"], uploaded.Round(time.Millisecond), (took - uploaded).Round(time.Millisecond), float64(len(photos))/took.Seconds(),
		cpu.Round(time.Millisecond), float64(cpu.Milliseconds())/float64(len(photos)), l["people"], s)
	if s.BCubedF1 < 0.93 {
		t.Errorf("BCubed F1 %.4f under 0.93", s.BCubedF1)
	}
}

// processCPU is this process's CPU time, user and system, all threads.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
