package server_test

import (
	"testing"
	"time"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// TestLibraryGroupsAfterABurst: with a grouping delay, uploads record their
// faces at once and the library groups them once the burst is over; until
// then it says grouping_pending.
func TestLibraryGroupsAfterABurst(t *testing.T) {
	e := serve(t, testenv.Engine(t, "standard"), store.Options{}, server.Options{MaxBody: 2 << 20, GroupDelay: time.Second}) // wide enough that a loaded machine does not group before the check below
	lib := e.library(e.admin, "family")
	colin, _ := lfw(t, []string{"Colin_Powell"}, 1, 4)
	tony, _ := lfw(t, []string{"Tony_Blair"}, 2, 5)
	for _, batch := range [][][]byte{colin[:2], tony[:2], colin[2:], tony[2:]} {
		code, out := e.upload(e.admin, lib, batch...)
		if code != 200 || out["grouping_pending"] != true || num(out["grouped"]) != 0 {
			t.Fatalf("upload: %d %v", code, out)
		}
	}
	if _, l := e.call("GET", lib, e.admin, nil, ""); l["grouping_pending"] != true || num(l["faces"]) != 8 {
		t.Fatalf("right after the burst: %v", l)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, l := e.call("GET", lib, e.admin, nil, "")
		if l["grouping_pending"] == false {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still pending after 30 s: %v", l)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, people := e.call("GET", lib+"/people", e.admin, nil, "")
	var counts []int
	for _, p := range people["people"].([]any) {
		counts = append(counts, num(p.(map[string]any)["faces"]))
	}
	if len(counts) != 2 || counts[0] != 4 || counts[1] != 4 {
		t.Fatalf("people after grouping: %v", counts)
	}
}
