package sqlstore

import (
	"context"
	"errors"
	"testing"

	"github.com/acme/bpo/kit/apperr"
)

// TestRetryConflicts: a write that lost a race runs again, a bounded
// number of times; a stale etag the caller sent is answered at once, even
// when it is found only on a retry, so a real conflict is never hidden.
func TestRetryConflicts(t *testing.T) {
	race := Stale("transitionPlans/P1")
	stale := CheckETag("transitionPlans/P1/tasks/T1", "1-old", "2-new")
	gate := apperr.New(apperr.FailedPrecondition, "not ready")
	tests := []struct {
		name string
		// errs are the answers of the successive attempts; after the last,
		// every attempt answers the last one again.
		errs      []error
		cancelled bool
		wantCalls int
		wantKind  apperr.Kind // 0: success
	}{
		{"a write that wins at once runs once", []error{nil}, false, 1, 0},
		{"lost races are retried until the write wins", []error{race, race, nil}, false, 3, 0},
		{"a wrapped race is a race too", []error{errors.Join(errors.New("commit"), race), nil}, false, 2, 0},
		{"the caller's stale etag is answered at once", []error{stale}, false, 1, apperr.Aborted},
		{"a stale etag found after a lost race is answered, not retried", []error{race, stale}, false, 2, apperr.Aborted},
		{"other refusals are not retried", []error{gate}, false, 1, apperr.FailedPrecondition},
		{"a write that always loses stops after MaxAttempts", []error{race}, false, MaxAttempts, apperr.Aborted},
		{"a conflict keeps its kind for the caller", []error{Conflict("x changed")}, false, MaxAttempts, apperr.Aborted},
		{"a cancelled caller is not kept waiting", []error{race}, true, 1, apperr.Aborted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancelled {
				cancel()
			}
			calls := 0
			_, err := RetryConflicts(ctx, func() (int, error) {
				err := tt.errs[min(calls, len(tt.errs)-1)]
				calls++
				return calls, err
			})
			if calls != tt.wantCalls {
				t.Errorf("%d attempts, want %d", calls, tt.wantCalls)
			}
			switch {
			case tt.wantKind == 0 && err != nil:
				t.Errorf("got %v, want success", err)
			case tt.wantKind != 0 && apperr.KindOf(err) != tt.wantKind:
				t.Errorf("got %v, want kind %v", err, tt.wantKind)
			}
		})
	}
}
