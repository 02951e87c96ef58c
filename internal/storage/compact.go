package storage

import (
	"context"
	"log/slog"
	"time"
)

// RunCompactor compacts the store every interval to the revision it had one interval earlier,
// so that watchers and paged lists have at least that long to catch up before they get 410
// Gone. Several servers may run it at once: compacting an already compacted revision is a no-op.
func (s *Store) RunCompactor(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, err := s.CurrentRevision(ctx)
		if err != nil {
			continue
		}
		// Compact to the revision seen one interval ago, even when nothing was written
		// since (then it is the current one): history older than an interval goes.
		if last > 0 {
			if _, err := s.client.Compact(ctx, last); err != nil && !isCompacted(err) && ctx.Err() == nil {
				slog.Warn("etcd compaction failed", "revision", last, "err", err)
			}
		}
		last = cur
	}
}

// Compact compacts the store up to rev now; tests use it to provoke 410 Gone.
func (s *Store) Compact(ctx context.Context, rev int64) error {
	_, err := s.client.Compact(ctx, rev)
	if isCompacted(err) {
		return nil
	}
	return err
}
