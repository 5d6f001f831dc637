package server_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"

	"github.com/mienhq/mien/internal/testenv"
)

const bootstrapKey = "durability-test-admin-key-0123456789"

// serveProc starts `mien serve` on a free loopback port and returns its URL.
func serveProc(t *testing.T, bin, data string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data}, args...)...)
	cmd.Env = append(os.Environ(), "MIEN_MASTER_KEY="+hex.EncodeToString(master), "MIEN_BOOTSTRAP_ADMIN_KEY="+bootstrapKey, "MIEN_PACK=standard")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	deadline := time.After(60 * time.Second)
	lines := make(chan string)
	go func() {
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("mien serve exited before listening")
			}
			if i := strings.Index(l, "http://"); i >= 0 && strings.Contains(l, "listening") {
				url := strings.Fields(l[i:])[0]
				go func() {
					for range lines {
					}
				}()
				return cmd, url
			}
		case <-deadline:
			t.Fatal("mien serve did not start in 60 s")
		}
	}
}

func request(t *testing.T, method, url string, body *bytes.Buffer, ct string) (int, map[string]any) {
	t.Helper()
	var req *http.Request
	if body == nil {
		req, _ = http.NewRequest(method, url, nil)
	} else {
		req, _ = http.NewRequest(method, url, body)
	}
	req.Header.Set("Authorization", "Bearer "+bootstrapKey)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestKill9Durability: an acknowledged enrolment survives kill -9 and a
// restart; an enrolment killed half-way leaves nothing behind.
func TestKill9Durability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the mien binary")
	}
	testenv.Engine(t, "standard") // skips without models
	rob1, rob2 := fixture(t, "bulk_Rob_Lowe_0001.jpg"), fixture(t, "bulk_Rob_Lowe_0002.jpg")
	bin := buildMien(t)
	data := t.TempDir()
	cmd, url := serveProc(t, bin, data)
	code, col := request(t, "POST", url+"/v1/collections", bytes.NewBufferString(`{"name":"doors"}`), "application/json")
	if code != 201 {
		t.Fatalf("collection: %d %v", code, col)
	}
	cid := col["id"].(string)
	body, ct := form(map[string][][]byte{"images": {rob1}}, consentFields("rob"))
	if code, out := request(t, "POST", url+"/v1/collections/"+cid+"/subjects", body, ct); code != 201 {
		t.Fatalf("enrol: %d %v", code, out)
	}
	// Kill it mid-way through a 10-image enrolment.
	many := make([][]byte, 10)
	for i := range many {
		many[i] = rob2
	}
	body, ct = form(map[string][][]byte{"images": many}, consentFields("half"))
	done := make(chan struct{})
	go func() { request(t, "POST", url+"/v1/collections/"+cid+"/subjects", body, ct); close(done) }()
	time.Sleep(150 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	<-done

	_, url = serveProc(t, bin, data)
	body, ct = form(map[string][][]byte{"image": {rob2}}, nil)
	code, res := request(t, "POST", url+"/v1/collections/"+cid+"/identify", body, ct)
	if code != 200 || res["faces"].([]any)[0].(map[string]any)["decision"] != "match" {
		t.Fatalf("after kill -9 and restart, the acknowledged subject is not identified: %d %v", code, res)
	}
	_, list := request(t, "GET", url+"/v1/collections/"+cid+"/subjects", nil, "")
	for _, s := range list["subjects"].([]any) {
		sub := s.(map[string]any)
		if sub["external_id"] != "half" {
			continue
		}
		_, full := request(t, "GET", url+"/v1/collections/"+cid+"/subjects/"+sub["id"].(string), nil, "")
		if n := len(full["templates"].([]any)); n != 10 {
			t.Fatalf("half-done enrolment left a subject with %d of 10 templates", n)
		}
	}
}

// buildMien builds the mien binary into a temporary directory.
func buildMien(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mien")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mien")
	build.Dir = testenv.Root(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestGracefulShutdownDrains: on SIGTERM, mien serve stops taking new
// connections but finishes a request that is in flight, then exits 0.
func TestGracefulShutdownDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the mien binary")
	}
	testenv.Engine(t, "standard") // skips without models
	cmd, url := serveProc(t, buildMien(t), t.TempDir())
	addr := strings.TrimPrefix(url, "http://")
	body, ct := form(map[string][][]byte{"image": {fixture(t, "bulk_Rob_Lowe_0001.jpg")}}, nil)
	payload := body.Bytes()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers and half the body, then SIGTERM while the request is in flight.
	fmt.Fprintf(conn, "POST /v1/detect HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		addr, bootstrapKey, ct, len(payload))
	conn.Write(payload[:len(payload)/2])
	time.Sleep(200 * time.Millisecond)
	exited := make(chan error, 1)
	cmd.Process.Signal(syscall.SIGTERM)
	go func() { exited <- cmd.Wait() }()
	time.Sleep(300 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("mien serve still accepts connections after SIGTERM")
	}
	select {
	case err := <-exited:
		t.Fatalf("mien serve exited with a request in flight: %v", err)
	default:
	}
	conn.Write(payload[len(payload)/2:])
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer: %v", err)
	}
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if faces, _ := out["faces"].([]any); resp.StatusCode != 200 || len(faces) != 1 {
		t.Fatalf("in-flight detect: %d %v", resp.StatusCode, out)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("mien serve exited with %v after draining", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("mien serve did not exit after draining")
	}
}

// TestRekognitionKill9Durability: a face acknowledged by IndexFaces through
// the AWS SDK survives kill -9 of mien serve and a restart.
func TestRekognitionKill9Durability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the mien binary")
	}
	testenv.Engine(t, "standard") // skips without models
	bin, data := buildMien(t), t.TempDir()
	cmd, url := serveProc(t, bin, data)
	code, key := request(t, "POST", url+"/v1/rekognition/keys", bytes.NewBufferString(`{}`), "application/json")
	if code != 201 {
		t.Fatalf("access key: %d %v", code, key)
	}
	c := rekClient(url, key["access_key_id"].(string), key["secret_access_key"].(string))
	rekCreate(t, c, "doors", rekStaffTags)
	faceID := rekIndex(t, c, "doors", fixture(t, "bulk_Rob_Lowe_0001.jpg"), "rob")
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	_, url = serveProc(t, bin, data)
	c = rekClient(url, key["access_key_id"].(string), key["secret_access_key"].(string))
	out, err := c.SearchFacesByImage(rekCtx(t), &rek.SearchFacesByImageInput{CollectionId: aws.String("doors"), Image: rekImg(fixture(t, "bulk_Rob_Lowe_0002.jpg"))})
	if err != nil || len(out.FaceMatches) != 1 || *out.FaceMatches[0].Face.FaceId != faceID {
		t.Fatalf("after kill -9 and restart, the indexed face is not found: %+v %v", out, err)
	}
}
