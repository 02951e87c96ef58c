package image

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
)

func TestConcurrentPullsUnpackOnce(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t, "", "")
	img, err := random.Image(1<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.push(t, "big:1", img)
	dir := t.TempDir()
	// Two stores on one directory stand for two processes.
	var stores []*Store
	for range 2 {
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
	}
	const pulls = 8
	var wg sync.WaitGroup
	results := make([]*Image, pulls)
	errs := make([]error, pulls)
	for i := range pulls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = stores[i%2].Pull(ctx, ref, PullOptions{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("pull %d: %v", i, err)
		}
		if results[i].Digest != results[0].Digest || len(results[i].Layers) != 3 {
			t.Errorf("pull %d gave %+v", i, results[i])
		}
	}
	if n := stores[0].unpacks.Load() + stores[1].unpacks.Load(); n != 3 {
		t.Errorf("%d unpacks of 3 layers", n)
	}
	layers, _ := img.Layers()
	for _, l := range layers {
		d, _ := l.Digest()
		if n := reg.gets(d); n != 1 {
			t.Errorf("layer %s downloaded %d times", d, n)
		}
	}
}

func TestConcurrentPinsAndGC(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, false)
	a, b := sharing(t)
	put(t, s, a, "a:1")
	put(t, s, b, "b:1")
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			img, err := s.Pin(ctx, "c"+string(rune('0'+i)), "a:1")
			if err != nil {
				t.Error(err)
				return
			}
			for _, d := range img.LayerDirs() {
				if !exists(d) {
					t.Errorf("pinned layer %s missing", d)
				}
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := s.GC(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := s.Remove(ctx, "a:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "b:1"); err != nil {
		t.Fatal(err)
	}
	if owners, _ := s.Pins(); len(owners) != 10 {
		t.Fatalf("%d pins", len(owners))
	}
	img := a
	ids := diffIDs(t, img)
	for _, id := range ids {
		if !exists(s.path("layers", id[len("sha256:"):])) {
			t.Errorf("pinned layer %s collected", id)
		}
	}
}
