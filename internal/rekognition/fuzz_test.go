package rekognition

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzParseAuthorization: the parser of the untrusted Authorization header
// never panics, and what it accepts has a five-part credential.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/rekognition/aws4_request, SignedHeaders=host;x-amz-date, Signature=00ff")
	f.Add("AWS4-HMAC-SHA256 Credential=//// ,SignedHeaders=;,Signature==")
	f.Add("Basic dXNlcjpwYXNz")
	f.Fuzz(func(t *testing.T, v string) {
		a, err := parseAuthorization(v)
		if err == nil && (a.AccessKeyID == "" || len(a.SignedHeaders) == 0 || a.Signature == "") {
			t.Fatalf("accepted %q as %+v", v, a)
		}
	})
}

// FuzzVerify: any header and body reach a verdict without panicking, and
// nothing but the right signature passes.
func FuzzVerify(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential="+keyA+"/20240101/us-east-1/rekognition/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "20240101T000000Z", "{}")
	mem := NewMemory(fakeAnalyzer{})
	mem.AddKey(keyA, Credentials{Tenant: "t", Secret: secretA})
	h := New(mem, Options{Now: func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }})
	f.Fuzz(func(t *testing.T, auth, date, body string) {
		r, err := http.NewRequest(http.MethodPost, "http://mien/", strings.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Date", date)
		if _, _, err := h.authenticate(r.Context(), r, []byte(body)); err == nil {
			t.Fatalf("a forged request passed: %q %q", auth, date)
		}
	})
}

func FuzzOpenPage(f *testing.F) {
	h := New(NewMemory(fakeAnalyzer{}), Options{})
	c, pg := &call{tenant: "tenant-a"}, page{op: "ListFaces", collection: "staff"}
	good, err := h.sealPage(c, pg, "00000000-0000-4000-8000-000000000000")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("")
	f.Add(good[:len(good)-1])
	f.Fuzz(func(t *testing.T, tok string) {
		last, err := h.openPage(c, pg, tok)
		switch {
		case tok == good && (err != nil || last != "00000000-0000-4000-8000-000000000000"):
			t.Fatalf("the sealed token opened to %q, %v", last, err)
		case tok != good && tok != "" && err == nil:
			t.Fatalf("token %q that mien did not seal opened to %q", tok, last)
		}
	})
}
