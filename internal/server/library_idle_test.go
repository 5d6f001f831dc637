package server_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestLibraryIdleClose: idle libraries are closed to free memory and open
// again on the next request, also while requests race the closing; the
// expiry sweep opens only libraries whose setting asks for it.
func TestLibraryIdleClose(t *testing.T) {
	e := setup(t)
	srv := e.srv
	lib := e.library(e.admin, "family")
	photos, _ := lfw(t, []string{"Colin_Powell", "Tony_Blair"}, 1, 3)
	if code, out := e.upload(e.admin, lib, photos...); code != 200 {
		t.Fatalf("upload: %d %v", code, out)
	}
	_, people := e.call("GET", lib+"/people", e.admin, nil, "")
	all := people["people"].([]any)
	first := all[0].(map[string]any)
	pid := num(first["id"])
	unnamed := 0 // faces outside the person named below
	for _, p := range all[1:] {
		unnamed += num(p.(map[string]any)["faces"])
	}
	if code, out := e.js("POST", lib+"/people/"+strconv.Itoa(pid)+"/name", e.admin, `{"name":"Colin"}`); code != 200 {
		t.Fatalf("name: %d %v", code, out)
	}
	if n, err := srv.CloseIdleLibraries(0); n != 1 || err != nil {
		t.Fatalf("close idle: %d %v", n, err)
	}
	if n, _ := srv.CloseIdleLibraries(0); n != 0 {
		t.Fatalf("closed %d libraries twice", n)
	}
	// Requests race the closing: every one is answered, with the same data.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan string, 100)
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				code, out := e.call("GET", lib+"/people", e.admin, nil, "")
				if ps, _ := out["people"].([]any); code != 200 || len(ps) != len(all) {
					errs <- "people: " + strconv.Itoa(code)
				}
				code, _ = e.js("POST", lib+"/people/"+strconv.Itoa(pid)+"/name", e.admin, `{"name":"Colin"}`)
				if code != 200 {
					errs <- "name: " + strconv.Itoa(code)
				}
			}
		}()
	}
	closes := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				closes <- n
				return
			default:
				c, _ := srv.CloseIdleLibraries(0)
				n += c
				runtime.Gosched()
			}
		}
	}()
	wg.Wait()
	close(stop)
	n := <-closes
	if n < 2 {
		t.Fatalf("the library was closed only %d times while requests ran: no race tested", n)
	}
	t.Logf("the library was closed %d times while 120 requests ran", n)
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	_, l := e.call("GET", lib, e.admin, nil, "")
	if num(l["photos"]) != 6 || num(l["named_people"]) != 1 {
		t.Fatalf("library after racing the closing: %v", l)
	}
	// The expiry sweep leaves a closed library without an expiry closed...
	srv.CloseIdleLibraries(0)
	if _, err := srv.ExpireLibraries(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, _ := srv.CloseIdleLibraries(0); n != 0 {
		t.Fatalf("the sweep opened %d libraries with nothing to expire", n)
	}
	// ...and opens one whose setting asks for expiry: the unnamed person goes.
	if code, out := e.js("PUT", lib+"/expiry", e.admin, `{"expire_after_seconds":60}`); code != 200 {
		t.Fatalf("set expiry: %d %v", code, out)
	}
	srv.CloseIdleLibraries(0)
	n, err := srv.ExpireLibraries(context.Background(), time.Now().Add(time.Hour))
	if err != nil || n != unnamed || unnamed == 0 {
		t.Fatalf("expiry sweep over a closed library: %d faces, %v", n, err)
	}
	_, l = e.call("GET", lib, e.admin, nil, "")
	if num(l["people"]) != 1 || num(l["named_people"]) != 1 {
		t.Fatalf("after the sweep: %v", l)
	}
}
