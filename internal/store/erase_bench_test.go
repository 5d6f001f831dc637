package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkEraseSubject measures DeleteSubject on a collection holding
// `size` subjects with two 512-d templates each: with secure_delete and the
// WAL checkpoint after it, that is what an erasure costs. Enrolling the
// subject to erase is not timed. Figures: docs/benchmarks.md, "Erasure
// (issue 9)"; it uses only the store's public API, so the same file runs
// on a commit before the fix for the comparison.
func BenchmarkEraseSubject(b *testing.B) {
	for _, size := range []int{100, 2000} {
		b.Run(fmt.Sprintf("subjects=%d", size), func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, filepath.Join(b.TempDir(), "mien.db"), Options{MasterKey: master})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ten, _ := s.CreateTenant(ctx, "acme")
			col, _ := s.CreateCollection(ctx, ten.ID, "staff", "m", "t")
			now := time.Now()
			vec := make([]float32, 512)
			enrol := func(i int) Subject {
				vec[i%512] += 1
				sub, err := s.Enroll(ctx, ten.ID, col.ID, Subject{ExternalID: fmt.Sprintf("e-%d", i), Name: fmt.Sprintf("Person %d", i), Consent: consent(now)},
					[]Template{{Vector: vec}, {Vector: vec}}, "t")
				if err != nil {
					b.Fatal(err)
				}
				return sub
			}
			for i := 0; i < size; i++ {
				enrol(i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				sub := enrol(size + i)
				b.StartTimer()
				if _, err := s.DeleteSubject(ctx, ten.ID, col.ID, sub.ID, "t"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
