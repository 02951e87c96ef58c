package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"time"
)

// pinRecord is pins/<owner>: the image a container holds.
type pinRecord struct {
	Ref      string    `json:"ref"`
	Manifest string    `json:"manifest"`
	Created  time.Time `json:"created"`
}

var validOwner = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$`)

// Pin returns the image ref names, ready like Get, and keeps its blobs and layers from
// garbage collection until Unpin(owner), even if the reference is removed. owner is the
// caller's name for the user of the image (a container ID); pinning again under the same
// owner replaces its pin. Lookup and pin are one step, so no collection can come between.
func (s *Store) Pin(ctx context.Context, owner, ref string) (*Image, error) {
	if !validOwner.MatchString(owner) {
		return nil, fmt.Errorf("image pin owner %q: want letters, digits, '_', '.', '-'", owner)
	}
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	l, err := s.lockStore(ctx, false)
	if err != nil {
		return nil, err
	}
	defer l.unlock()
	img, err := s.resolve(ctx, r)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(pinRecord{Ref: img.Ref, Manifest: img.Digest, Created: time.Now().UTC()})
	if err != nil {
		return nil, err
	}
	if err := s.writeFile(s.path("pins", owner), raw, false); err != nil {
		return nil, err
	}
	return img, nil
}

// Unpin releases owner's pin; unknown owners are fine. If no reference names the image
// any more (it was removed while pinned), it is collected now unless the store is busy,
// and by a later collection otherwise.
func (s *Store) Unpin(owner string) error {
	if !validOwner.MatchString(owner) {
		return fmt.Errorf("image pin owner %q: want letters, digits, '_', '.', '-'", owner)
	}
	p := s.path("pins", owner)
	var pin pinRecord
	if raw, err := os.ReadFile(p); err == nil {
		_ = json.Unmarshal(raw, &pin)
	}
	err := os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if idx, err := s.readIndex(); err == nil && !idx.names(pin.Manifest) {
		s.collectLater()
		s.tidy()
	}
	return nil
}

// Pins lists the owners holding pins, so that a runtime coming back after a restart can
// release those of containers that are gone.
func (s *Store) Pins() ([]string, error) {
	entries, err := os.ReadDir(s.path("pins"))
	if err != nil {
		return nil, err
	}
	var owners []string
	for _, e := range entries {
		if validOwner.MatchString(e.Name()) {
			owners = append(owners, e.Name())
		}
	}
	sort.Strings(owners)
	return owners, nil
}

func (s *Store) readPins() ([]pinRecord, error) {
	owners, err := s.Pins()
	if err != nil {
		return nil, err
	}
	var pins []pinRecord
	for _, o := range owners {
		raw, err := os.ReadFile(s.path("pins", o))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var p pinRecord
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("pin %s: %w", o, err)
		}
		pins = append(pins, p)
	}
	return pins, nil
}
