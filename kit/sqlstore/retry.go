package sqlstore

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/acme/bpo/kit/apperr"
)

// conflict marks the ABORTED of a transaction that lost a race with a
// concurrent one inside the server. The transaction rolled back whole, so
// running it again on fresh data is safe — unlike a stale etag the caller
// sent (CheckETag), which only the caller can resolve by reading again.
type conflict struct{ err *apperr.Error }

func (c conflict) Error() string { return c.err.Error() }
func (c conflict) Unwrap() error { return c.err }

// Conflict returns an ABORTED error that RetryConflicts runs again.
func Conflict(format string, args ...any) error {
	return conflict{apperr.New(apperr.Aborted, "%s", fmt.Sprintf(format, args...))}
}

// IsConflict reports whether err is (or wraps) a Conflict.
func IsConflict(err error) bool {
	var c conflict
	return errors.As(err, &c)
}

// MaxAttempts bounds how often RetryConflicts runs a transaction: enough
// for a handful of people changing one resource at the same moment.
const MaxAttempts = 10

// RetryConflicts runs write — a whole transaction — again when it lost a
// race (IsConflict), after a short random pause so that the losers do not
// collide again, at most MaxAttempts times; any other answer, including a
// caller's stale etag, is returned as it is. write must read what it needs
// inside its transaction, so that a new attempt sees fresh data.
func RetryConflicts[T any](ctx context.Context, write func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		out, err := write()
		if attempt >= MaxAttempts || !IsConflict(err) {
			return out, err
		}
		pause := time.Duration(1+mrand.IntN(5*attempt)) * time.Millisecond
		select {
		case <-ctx.Done():
			return out, err
		case <-time.After(pause):
		}
	}
}
