// Command docgen makes the synthetic ID-document set for `mien eval kyc`
// (docs/kyc.md): for each of N LFW people with at least two photos, a
// document (internal/docsynth) with their first photo printed on it, their
// second photo as the genuine selfie, and another person's selfie of the
// same split as the impostor. People alternate between the splits calib
// and report, so no person is in both. Deterministic in -seed.
//
//	go run ./scripts/docgen -lfw ../shared/data/lfw/images -out DIR [-n 1000] [-seed 1]
//
// writes DIR/documents/*.jpg, DIR/selfies/*.jpg (copies of the LFW photos)
// and DIR/truth.json.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/mienhq/mien/internal/docsynth"
)

// Document is one entry of truth.json.
type Document struct {
	ID         string              `json:"id"`
	Split      string              `json:"split"`
	Person     string              `json:"person"`
	Layout     string              `json:"layout"`
	File       string              `json:"file"`
	Source     string              `json:"source"`
	Selfie     string              `json:"selfie"`
	Impostor   string              `json:"impostor_selfie"`
	ImpostorOf string              `json:"impostor_person"`
	Printed    string              `json:"printed_name"`
	Conditions docsynth.Conditions `json:"conditions"`
	Portrait   docsynth.Box        `json:"portrait_box"`
	Ghost      docsynth.Box        `json:"ghost_box"`
}

func main() {
	lfw := flag.String("lfw", "", "LFW images directory (one sub-directory per person)")
	out := flag.String("out", "", "output directory")
	n := flag.Int("n", 1000, "documents to make")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *lfw == "" || *out == "" || *n < 2 {
		fmt.Fprintln(os.Stderr, "usage: docgen -lfw DIR -out DIR [-n 1000] [-seed 1]")
		os.Exit(2)
	}
	people, err := twoPhotoPeople(*lfw)
	if err != nil {
		fail(err)
	}
	rng := rand.New(rand.NewPCG(*seed, 0x6b7963))
	rng.Shuffle(len(people), func(i, j int) { people[i], people[j] = people[j], people[i] })
	if *n > len(people) {
		fail(fmt.Errorf("only %d people have two photos, %d asked", len(people), *n))
	}
	people = people[:*n]
	for _, d := range []string{"documents", "selfies"} {
		if err := os.MkdirAll(filepath.Join(*out, d), 0o755); err != nil {
			fail(err)
		}
	}
	docs := make([]Document, *n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := range people {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			d, err := makeOne(*lfw, *out, people, i, *seed)
			if err != nil {
				fail(fmt.Errorf("%s: %w", people[i], err))
			}
			docs[i] = d
		}()
	}
	wg.Wait()
	b, _ := json.MarshalIndent(map[string]any{"seed": *seed, "generator": "scripts/docgen", "documents": docs}, "", " ")
	if err := os.WriteFile(filepath.Join(*out, "truth.json"), b, 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("docgen: %d documents in %s\n", len(docs), *out)
}

// makeOne makes document i: person i's photo 1 printed, photo 2 as selfie,
// person i+2's (same split) photo 2 as impostor.
func makeOne(lfw, out string, people []string, i int, seed uint64) (Document, error) {
	p := people[i]
	rng := rand.New(rand.NewPCG(seed, uint64(i)+1))
	src := filepath.Join(lfw, p, p+"_0001.jpg")
	f, err := os.Open(src)
	if err != nil {
		return Document{}, err
	}
	img, err := jpeg.Decode(f)
	f.Close()
	if err != nil {
		return Document{}, err
	}
	split := []string{"calib", "report"}[i%2]
	cond := docsynth.ConditionsFor(i/2, rng)
	layout := []string{docsynth.LayoutCard, docsynth.LayoutPassport}[(i/2)%2]
	if (i/2/54)%2 == 1 {
		layout = []string{docsynth.LayoutPassport, docsynth.LayoutCard}[(i/2)%2]
	}
	photo, card, err := docsynth.Make(img, layout, &cond, rng)
	if err != nil {
		return Document{}, err
	}
	id := fmt.Sprintf("doc%04d", i)
	if err := os.WriteFile(filepath.Join(out, "documents", id+".jpg"), photo.JPEG, 0o644); err != nil {
		return Document{}, err
	}
	other := people[(i+2)%len(people)]
	for _, q := range []string{p, other} {
		b, err := os.ReadFile(filepath.Join(lfw, q, q+"_0002.jpg"))
		if err != nil {
			return Document{}, err
		}
		if err := os.WriteFile(filepath.Join(out, "selfies", q+"_0002.jpg"), b, 0o644); err != nil {
			return Document{}, err
		}
	}
	return Document{ID: id, Split: split, Person: p, Layout: layout, File: "documents/" + id + ".jpg",
		Source: p + "/" + p + "_0001.jpg", Selfie: "selfies/" + p + "_0002.jpg", Impostor: "selfies/" + other + "_0002.jpg",
		ImpostorOf: other, Printed: card.Name, Conditions: cond, Portrait: photo.Portrait, Ghost: photo.Ghost}, nil
}

func twoPhotoPeople(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), e.Name()+"_0002.jpg")); err == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "docgen:", err)
	os.Exit(1)
}
