package image

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkPin is the store's share of a container start with a local image.
func BenchmarkPin(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	a, _ := sharing(b)
	put(b, s, a, "a:1")
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		owner := fmt.Sprintf("c%d", i)
		if _, err := s.Pin(ctx, owner, "a:1"); err != nil {
			b.Fatal(err)
		}
		if err := s.Unpin(owner); err != nil {
			b.Fatal(err)
		}
	}
}
