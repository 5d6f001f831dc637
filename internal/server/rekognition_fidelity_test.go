package server_test

// ClientRequestToken, sealed NextToken values and the errors and fields
// clients depend on, through the AWS SDK for Go v2 against the real server
// (store, engine, restart) with the real models.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"
	"github.com/aws/aws-sdk-go-v2/service/rekognition/types"

	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// lossyTransport sends every request, but loses the answer to the first
// request of each operation named in lose, as a network would: the SDK
// then retries with the same ClientRequestToken. It records the tokens.
type lossyTransport struct {
	mu     sync.Mutex
	lose   map[string]bool
	tokens map[string][]string
}

func (l *lossyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "RekognitionService.")
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in struct{ ClientRequestToken string }
	json.Unmarshal(body, &in)
	resp, err := http.DefaultTransport.RoundTrip(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens[op] = append(l.tokens[op], in.ClientRequestToken)
	if err == nil && l.lose[op] {
		l.lose[op] = false
		resp.Body.Close()
		return nil, errors.New("read tcp: connection reset by peer (the test lost the answer)")
	}
	return resp, err
}

// TestRekognitionSDKRequestTokens: an answer lost on the network is
// retried by the SDK with the same ClientRequestToken and gets the first
// answer; explicit tokens replay after a restart, are scoped to the
// operation, collection and tenant, and refuse other parameters.
func TestRekognitionSDKRequestTokens(t *testing.T) {
	eng := testenv.Engine(t, "standard")
	ctx := rekCtx(t)
	path := filepath.Join(t.TempDir(), "mien.db")
	e1 := rekServeAt(t, eng, path)
	id, secret := e1.awsKey(e1.admin, false)
	c := rekClient(e1.url, id, secret)
	rekCreate(t, c, "staff", rekStaffTags)
	rekCreate(t, c, "visitors", rekStaffTags)
	rob := rekIndex(t, c, "staff", fixture(t, "bulk_Rob_Lowe_0001.jpg"), "rob-1")
	staff := aws.String("staff")

	// The SDK fills the token and keeps it across its own retry.
	lossy := &lossyTransport{lose: map[string]bool{"CreateUser": true, "AssociateFaces": true}, tokens: map[string][]string{}}
	retrying := rek.NewFromConfig(aws.Config{Region: rekRegion, Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		HTTPClient: &http.Client{Transport: lossy},
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		}}, func(o *rek.Options) { o.BaseEndpoint = aws.String(e1.url) })
	if _, err := retrying.CreateUser(ctx, &rek.CreateUserInput{CollectionId: staff, UserId: aws.String("rob")}); err != nil {
		t.Fatalf("CreateUser whose first answer was lost: %v", err)
	}
	as, err := retrying.AssociateFaces(ctx, &rek.AssociateFacesInput{CollectionId: staff, UserId: aws.String("rob"), FaceIds: []string{rob}})
	if err != nil || len(as.AssociatedFaces) != 1 || as.UserStatus != types.UserStatusActive {
		t.Fatalf("AssociateFaces whose first answer was lost: %+v, %v", as, err)
	}
	for _, op := range []string{"CreateUser", "AssociateFaces"} {
		if tk := lossy.tokens[op]; len(tk) != 2 || tk[0] == "" || tk[0] != tk[1] {
			t.Fatalf("%s attempts carried tokens %q, want one token twice", op, tk)
		}
	}

	// Explicit tokens.
	tok := func(s string) *string { return aws.String("t-" + s) }
	for range 2 {
		if _, err := c.CreateUser(ctx, &rek.CreateUserInput{CollectionId: staff, UserId: aws.String("ada"), ClientRequestToken: tok("create")}); err != nil {
			t.Fatalf("CreateUser retried: %v", err)
		}
	}
	_, err = c.CreateUser(ctx, &rek.CreateUserInput{CollectionId: staff, UserId: aws.String("bea"), ClientRequestToken: tok("create")})
	wantAWS(t, err, "IdempotentParameterMismatchException")
	dis := &rek.DisassociateFacesInput{CollectionId: staff, UserId: aws.String("rob"), FaceIds: []string{rob}, ClientRequestToken: tok("dis")}
	for range 2 {
		if d, err := c.DisassociateFaces(ctx, dis); err != nil || len(d.DisassociatedFaces) != 1 {
			t.Fatalf("DisassociateFaces retried: %+v, %v", d, err)
		}
	}
	for range 2 {
		if _, err := c.DeleteUser(ctx, &rek.DeleteUserInput{CollectionId: staff, UserId: aws.String("ada"), ClientRequestToken: tok("delete")}); err != nil {
			t.Fatalf("DeleteUser retried: %v", err)
		}
	}
	e1.close()

	// After a restart the answers are still kept.
	e2 := rekServeAt(t, eng, path)
	c = rekClient(e2.url, id, secret)
	if _, err := c.CreateUser(ctx, &rek.CreateUserInput{CollectionId: staff, UserId: aws.String("ada"), ClientRequestToken: tok("create")}); err != nil {
		t.Fatalf("CreateUser retried after a restart: %v", err)
	}
	lu, err := c.ListUsers(ctx, &rek.ListUsersInput{CollectionId: staff})
	if err != nil || len(lu.Users) != 1 || *lu.Users[0].UserId != "rob" {
		t.Fatalf("the replayed CreateUser ran again: users %+v, %v", lu, err)
	}
	again, err := c.DisassociateFaces(ctx, dis)
	if err != nil || len(again.DisassociatedFaces) != 1 || *again.DisassociatedFaces[0].FaceId != rob {
		t.Fatalf("DisassociateFaces retried after a restart: %+v, %v", again, err)
	}
	// Scoped: the same token in another operation, collection or tenant runs.
	if _, err := c.CreateUser(ctx, &rek.CreateUserInput{CollectionId: staff, UserId: aws.String("cy"), ClientRequestToken: tok("delete")}); err != nil {
		t.Fatalf("a DeleteUser token used for CreateUser: %v", err)
	}
	if _, err := c.CreateUser(ctx, &rek.CreateUserInput{CollectionId: aws.String("visitors"), UserId: aws.String("bea"), ClientRequestToken: tok("create")}); err != nil {
		t.Fatalf("a token of staff used in visitors: %v", err)
	}
	bid, bsecret := e2.awsKey(e2.otherAdmin(t), false)
	b := rekClient(e2.url, bid, bsecret)
	rekCreate(t, b, "staff", rekStaffTags)
	if _, err := b.CreateUser(ctx, &rek.CreateUserInput{CollectionId: staff, UserId: aws.String("bea"), ClientRequestToken: tok("create")}); err != nil {
		t.Fatalf("tenant a's token used by tenant b: %v", err)
	}
}

// otherAdmin returns an admin key of tenant b (created if need be).
func (e *env) otherAdmin(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	b, err := e.st.CreateTenant(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	k, _, err := e.st.CreateKey(ctx, b.ID, store.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRekognitionSDKNextToken: paging tokens work across a restart, and a
// tampered token, or one issued to another tenant, collection or listing,
// is InvalidPaginationTokenException.
func TestRekognitionSDKNextToken(t *testing.T) {
	eng := testenv.Engine(t, "standard")
	ctx := rekCtx(t)
	path := filepath.Join(t.TempDir(), "mien.db")
	e1 := rekServeAt(t, eng, path)
	id, secret := e1.awsKey(e1.admin, false)
	bid, bsecret := e1.awsKey(e1.otherAdmin(t), false)
	a, b := rekClient(e1.url, id, secret), rekClient(e1.url, bid, bsecret)
	for _, cl := range []*rek.Client{a, b} {
		for _, col := range []string{"staff", "visitors"} {
			rekCreate(t, cl, col, rekStaffTags)
			for _, u := range []string{"rob", "nathalie"} {
				if _, err := cl.CreateUser(ctx, &rek.CreateUserInput{CollectionId: aws.String(col), UserId: aws.String(u)}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	rekIndex(t, a, "staff", fixture(t, "bulk_Rob_Lowe_0001.jpg"), "rob-1")
	rekIndex(t, a, "staff", fixture(t, "bulk_Nathalie_Baye_0002.jpg"), "nathalie")
	staff := aws.String("staff")
	lf, err := a.ListFaces(ctx, &rek.ListFacesInput{CollectionId: staff, MaxResults: aws.Int32(1)})
	if err != nil || lf.NextToken == nil {
		t.Fatalf("ListFaces page 1: %+v, %v", lf, err)
	}
	faces := *lf.NextToken
	lu, err := a.ListUsers(ctx, &rek.ListUsersInput{CollectionId: staff, MaxResults: aws.Int32(1)})
	if err != nil || lu.NextToken == nil {
		t.Fatalf("ListUsers page 1: %+v, %v", lu, err)
	}
	lc, err := a.ListCollections(ctx, &rek.ListCollectionsInput{MaxResults: aws.Int32(1)})
	if err != nil || lc.NextToken == nil {
		t.Fatalf("ListCollections page 1: %+v, %v", lc, err)
	}
	e1.close()

	e2 := rekServeAt(t, eng, path) // the same master key: tokens stay good
	a, b = rekClient(e2.url, id, secret), rekClient(e2.url, bid, bsecret)
	p2, err := a.ListFaces(ctx, &rek.ListFacesInput{CollectionId: staff, NextToken: &faces})
	if err != nil || len(p2.Faces) != 1 || *p2.Faces[0].FaceId == *lf.Faces[0].FaceId || p2.NextToken != nil {
		t.Fatalf("ListFaces page 2 after a restart: %+v, %v", p2, err)
	}
	tampered := []byte(faces)
	tampered[len(tampered)/2] ^= 'A' ^ 'B'
	bad := map[string]func() error{
		"a tampered ListFaces token": func() error {
			_, err := a.ListFaces(ctx, &rek.ListFacesInput{CollectionId: staff, NextToken: aws.String(string(tampered))})
			return err
		},
		"a forged token": func() error {
			_, err := a.ListFaces(ctx, &rek.ListFacesInput{CollectionId: staff, NextToken: aws.String("Zjo5OTk5")})
			return err
		},
		"tenant a's token used by tenant b": func() error {
			_, err := b.ListFaces(ctx, &rek.ListFacesInput{CollectionId: staff, NextToken: &faces})
			return err
		},
		"staff's token used in visitors": func() error {
			_, err := a.ListFaces(ctx, &rek.ListFacesInput{CollectionId: aws.String("visitors"), NextToken: &faces})
			return err
		},
		"a ListFaces token used in ListUsers": func() error {
			_, err := a.ListUsers(ctx, &rek.ListUsersInput{CollectionId: staff, NextToken: &faces})
			return err
		},
		"a ListUsers token used in ListFaces": func() error {
			_, err := a.ListFaces(ctx, &rek.ListFacesInput{CollectionId: staff, NextToken: lu.NextToken})
			return err
		},
		"a ListCollections token of tenant a used by tenant b": func() error {
			_, err := b.ListCollections(ctx, &rek.ListCollectionsInput{NextToken: lc.NextToken})
			return err
		},
	}
	for name, call := range bad {
		if got := awsCode(call()); got != "InvalidPaginationTokenException" {
			t.Errorf("%s: got %q, want InvalidPaginationTokenException", name, got)
		}
	}
}

// TestRekognitionSDKFidelity: the fields and errors programs test: clear
// faces have Confidence over 99, FaceModelVersion parses as AWS's numeric
// form with mien's recognizer id beside it, and S3Object is
// InvalidS3ObjectException saying to send bytes.
func TestRekognitionSDKFidelity(t *testing.T) {
	e, c := rekModelServer(t)
	ctx := rekCtx(t)
	for _, p := range []struct {
		person string
		i      int
	}{{"Colin_Powell", 1}, {"Tony_Blair", 2}, {"Serena_Williams", 1}, {"Hugo_Chavez", 1}, {"Jennifer_Aniston", 1}} {
		d, err := c.DetectFaces(ctx, &rek.DetectFacesInput{Image: rekImg(rekLFW(t, p.person, p.i))})
		if err != nil || len(d.FaceDetails) == 0 {
			t.Fatalf("DetectFaces %s: %+v, %v", p.person, d, err)
		}
		if conf := *d.FaceDetails[0].Confidence; conf <= 99 {
			t.Errorf("%s: the clear face has Confidence %.3f, not over 99", p.person, conf)
		}
	}
	rekCreate(t, c, "staff", rekStaffTags)
	d, err := c.DescribeCollection(ctx, &rek.DescribeCollectionInput{CollectionId: aws.String("staff")})
	if err != nil || *d.FaceModelVersion != "7.0" {
		t.Fatalf("FaceModelVersion: %+v, %v", d, err)
	}
	raw := rekRaw(t, e, "DescribeCollection", `{"CollectionId":"staff"}`)
	if raw["MienFaceModel"] != testenv.Engine(t, "standard").ModelID() || raw["FaceModelVersion"] != "7.0" {
		t.Fatalf("raw DescribeCollection %v", raw)
	}
	_, err = c.IndexFaces(ctx, &rek.IndexFacesInput{CollectionId: aws.String("staff"), Image: &types.Image{S3Object: &types.S3Object{Bucket: aws.String("b"), Name: aws.String("k.jpg")}}})
	wantAWS(t, err, "InvalidS3ObjectException")
	if !strings.Contains(err.Error(), "send the image's bytes in Image.Bytes") {
		t.Fatalf("S3Object message: %v", err)
	}
	if n := e.rows("templates"); n != 0 {
		t.Fatalf("%d templates after refused requests", n)
	}
}

// rekRaw signs a request with a fresh key of tenant a and returns the
// decoded answer, fields the SDK would drop included.
func rekRaw(t *testing.T, e *env, op, body string) map[string]any {
	t.Helper()
	id, secret := e.awsKey(e.admin, true)
	req, err := http.NewRequest(http.MethodPost, e.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "RekognitionService."+op)
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "rekognition", rekRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s: %d %v %v", op, resp.StatusCode, out, err)
	}
	return out
}
