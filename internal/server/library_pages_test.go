package server_test

import (
	"net/url"
	"reflect"
	"testing"
)

// TestLibraryPages: the library listings answer everything without limit
// (as the web UI expects) and, with limit, pages whose next cursor leads
// through the same listing; a made-up cursor or limit is refused.
func TestLibraryPages(t *testing.T) {
	e := setup(t)
	lib := e.library(e.admin, "paged")
	photos, _ := lfw(t, []string{"Colin_Powell", "Tony_Blair"}, 1, 3)
	if code, out := e.upload(e.admin, lib, photos...); code != 200 {
		t.Fatalf("upload: %d %v", code, out)
	}
	for _, key := range []string{"photos", "faces", "people"} {
		code, all := e.call("GET", lib+"/"+key, e.admin, nil, "")
		if code != 200 || all["next"] != nil || len(all[key].([]any)) < 2 {
			t.Fatalf("%s unpaged: %d %v", key, code, all)
		}
		var got []any
		after := ""
		for n := 0; ; n++ {
			q := url.Values{"limit": {"1"}}
			if after != "" {
				q.Set("after", after)
			}
			code, page := e.call("GET", lib+"/"+key+"?"+q.Encode(), e.admin, nil, "")
			items, _ := page[key].([]any)
			if code != 200 || len(items) != 1 || n > 20 {
				t.Fatalf("%s page %d: %d %v", key, n, code, page)
			}
			got = append(got, items...)
			next, _ := page["next"].(string)
			if next == "" {
				break
			}
			after = next
		}
		if !reflect.DeepEqual(got, all[key]) {
			t.Errorf("%s: pages %v\nwant %v", key, got, all[key])
		}
		for _, q := range []string{"limit=0", "limit=x", "limit=10001", "limit=2&after=%21%21"} {
			if code, out := e.call("GET", lib+"/"+key+"?"+q, e.admin, nil, ""); code != 400 {
				t.Errorf("%s?%s: %d %v", key, q, code, out)
			}
		}
	}
	if _, l := e.call("GET", lib, e.admin, nil, ""); num(l["photos"]) != 6 || num(l["faces"]) < 6 || num(l["people"]) < 2 {
		t.Errorf("library counts: %v", l)
	}
}
