package catalog

import (
	"context"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/sqlstore"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// errContended is bumpGuard's answer when a concurrent change of the same
// event committed first (retried by sqlstore.RetryConflicts).
var errContended = sqlstore.Conflict("the sourcing event was changed by someone else at the same time; retry")

// newGuard creates the guard of a new event.
func newGuard(ctx context.Context, tx *sqlstore.Tx, event catalogv1.SourcingEventResourceName) error {
	return guardDocs.Insert(ctx, tx, guardName(event), &wrapperspb.Int64Value{})
}

// bumpGuard serialises the changes to an event's proposals and scores: of
// two concurrent ones, the second fails (and is retried by
// sqlstore.RetryConflicts) instead of acting on what the first changed
// under it — a submission slipping past the close, or two evaluators' last
// scores each missing the other's and leaving the event unevaluated.
func bumpGuard(ctx context.Context, tx *sqlstore.Tx, event catalogv1.SourcingEventResourceName) error {
	name := guardName(event)
	n, v, err := guardDocs.Get(ctx, tx, name)
	if err != nil {
		return err
	}
	n.Value++
	if err := guardDocs.Update(ctx, tx, name, n, v); err != nil {
		if apperr.KindOf(err) == apperr.Aborted {
			return errContended
		}
		return err
	}
	return nil
}
