package eval

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/testenv"
)

func TestSetRoundTrip(t *testing.T) {
	s := &Set{Pipeline: "p", Model: "m", Records: []Record{{Path: "A/A_0001.jpg", Vector: []float32{1, 0}, DetScore: 0.9, FaceSize: 80}, {Path: "B/B_0001.jpg"}}}
	var buf bytes.Buffer
	if err := WriteSet(&buf, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSet(&buf)
	if err != nil || !reflect.DeepEqual(got, s) {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := ReadSet(strings.NewReader("not a set")); err == nil {
		t.Fatal("read garbage")
	}
	if got.Records[0].Identity() != "A" {
		t.Fatalf("identity %q", got.Records[0].Identity())
	}
}

func TestAliases(t *testing.T) {
	a, err := ParseAliases(strings.NewReader("# extra\nX_Y Y_X\n\n"), LFWAliases)
	if err != nil || a["X_Y"] != "Y_X" || a["Yingfan_Wang"] != "Wang_Yingfan" {
		t.Fatalf("%v %v", a, err)
	}
	if _, ok := LFWAliases["X_Y"]; ok {
		t.Fatal("ParseAliases changed its base")
	}
	if _, err := ParseAliases(strings.NewReader("one two three\n"), nil); err == nil {
		t.Fatal("accepted a bad line")
	}
	id := Identities(a)
	if id(Record{Path: "Yingfan_Wang/Yingfan_Wang_0001.jpg"}) != "Wang_Yingfan" || id(Record{Path: "Z/Z_0001.jpg"}) != "Z" {
		t.Fatal("identities")
	}
}

// Every alias and excluded image names something in LFW (a typo would
// silently merge or exclude nothing).
func TestLFWListsNameRealEntries(t *testing.T) {
	dir := testenv.Shared(t, "data/lfw/images")
	for alias, canon := range LFWAliases {
		for _, n := range []string{alias, canon} {
			if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
				t.Errorf("alias %s -> %s: %v", alias, canon, err)
			}
		}
	}
	for p := range LFWExcluded {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("excluded: %v", err)
		}
	}
	recs := []Record{{Path: "Ricky_Ray/Ricky_Ray_0001.jpg"}, {Path: "Ricky_Ray/Ricky_Ray_0002.jpg"}}
	if got := Exclude(recs, LFWExcluded); len(got) != 1 || got[0].Path != recs[1].Path {
		t.Fatalf("Exclude: %v", got)
	}
}
