package replicaset

import "sync"

// slowStartInitialBatchSize is the size of the first batch of a slow start.
const slowStartInitialBatchSize = 1

// slowStartBatch calls fn count times in batches of growing size (1, 2, 4, ...), the
// calls of a batch in parallel. It stops after the first batch with an error, so a
// request that fails for every pod (quota, admission) fails once, not count times. It
// returns the number of successful calls and the first error.
func slowStartBatch(count, initial int, fn func() error) (int, error) {
	remaining, successes := count, 0
	for batch := min(remaining, initial); batch > 0; batch = min(2*batch, remaining) {
		errs := make(chan error, batch)
		var wg sync.WaitGroup
		wg.Add(batch)
		for range batch {
			go func() {
				defer wg.Done()
				if err := fn(); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		successes += batch - len(errs)
		if len(errs) > 0 {
			return successes, <-errs
		}
		remaining -= batch
	}
	return successes, nil
}
