package server_test

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// TestSecurityLibraryDeleteWhilePolled: deleting a library while clients
// poll it (the web UI reads it every 500 ms) answers 204 and removes the
// directory, every time; the pollers get 200 or 404, never 500, and never
// bring the directory back.
func TestSecurityLibraryDeleteWhilePolled(t *testing.T) {
	e := setup(t)
	photos, _ := lfw(t, []string{"Colin_Powell"}, 1, 2)
	for round := 0; round < 20; round++ {
		lib := e.library(e.admin, fmt.Sprintf("polled-%d", round))
		if code, out := e.upload(e.admin, lib, photos...); code != 200 {
			t.Fatalf("upload: %d %v", code, out)
		}
		_, ph := e.call("GET", lib+"/photos/"+hashOf(photos[0]), e.admin, nil, "")
		fid := ph["faces"].([]any)[0].(map[string]any)["id"].(string)
		dir := libDir(t, e, lib)
		stop := make(chan struct{})
		bad := make(chan string, 1000)
		var wg sync.WaitGroup
		paths := []string{lib, lib + "/people", lib + "/faces", "/v1/libraries", lib + "/faces/" + fid + "/thumbnail",
			lib + "/photos/" + hashOf(photos[0]) + "/image", lib + "/export"}
		for _, p := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if code, _, body := e.raw("GET", p, e.admin, nil, ""); code != 200 && code != 404 && code != 410 {
						bad <- fmt.Sprintf("GET %s: %d %s", p, code, body)
					}
				}
			}()
		}
		time.Sleep(20 * time.Millisecond)
		code, _, body := e.raw("DELETE", lib, e.admin, nil, "")
		time.Sleep(20 * time.Millisecond) // pollers go on after the deletion
		close(stop)
		wg.Wait()
		close(bad)
		for b := range bad {
			t.Errorf("round %d: %s", round, b)
		}
		if code != 204 {
			t.Fatalf("round %d: delete while polled: %d %s", round, code, body)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			ents, _ := os.ReadDir(dir)
			t.Fatalf("round %d: library directory left after delete (%v): %v", round, err, ents)
		}
		if code, _, _ := e.raw("GET", lib, e.admin, nil, ""); code != 404 {
			t.Fatalf("round %d: deleted library answers %d", round, code)
		}
	}
}
