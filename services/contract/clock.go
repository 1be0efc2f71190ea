package contract

import (
	"context"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/contract/terms"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ClockSubject is who the audit log names for the changes the passing of
// time makes to a contract (ACTIVE, a renewal, EXPIRED): the contract
// service itself, not the caller whose read noticed them.
const ClockSubject = "system:contract-clock"

// The states in time are kept by a sweep on read: before the contract
// service answers about a contract (Get, GetEffective, revisions,
// obligations, amendments, any change) it brings that contract's stored
// state up to date with its clock (terms.InTime), and before ListContracts
// it does so for every SIGNED or ACTIVE contract. A due change is written
// in a transaction of its own, audited under ClockSubject, so the stored
// state — which List filters on — is the derived one whenever anyone
// looks. Nothing runs in the background: one replica or many behave
// alike, and two that notice at once race on the revision, the loser
// retrying and finding nothing left to do.

// advance brings the contract name up to date with time, when it is due.
func (s *Server) advance(ctx context.Context, name string) error {
	due, err := sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (bool, error) {
		return s.due(ctx, tx, name)
	})
	if err != nil || !due {
		return err
	}
	return s.catchUp(ctx, name)
}

// due says whether a change in time of the contract name is due, as read
// in tx; a missing contract has none (the handler answers for it).
func (s *Server) due(ctx context.Context, tx *sqlstore.Tx, name string) (bool, error) {
	c, _, err := contracts.Get(ctx, tx, name)
	if apperr.KindOf(err) == apperr.NotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return terms.InTime(c, s.now()), nil
}

// readInTime is the body of a read about the contract name (Get,
// GetEffective, revisions, obligations): read runs in the same read
// transaction as the sweep's check of that contract, so a read that finds
// nothing due is one transaction, not two. When a change is due, it is
// made first, as advance makes it, and read runs in a transaction of its
// own after it; what read answers is then up to date, as before.
func readInTime[T any](ctx context.Context, s *Server, name string, read func(*sqlstore.Tx) (T, error)) (T, error) {
	var due bool
	out, err := sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (T, error) {
		var zero T
		d, err := s.due(ctx, tx, name)
		if err != nil || d {
			due = d
			return zero, err
		}
		return read(tx)
	})
	if !due {
		return out, err
	}
	if err := s.catchUp(ctx, name); err != nil {
		var zero T
		return zero, err
	}
	return sqlstore.Query(ctx, s.db, read)
}

// catchUp writes the change in time that is due to the contract name, if
// it still is when the write reads it, audited under ClockSubject.
func (s *Server) catchUp(ctx context.Context, name string) error {
	clock := auth.WithPrincipal(ctx, &auth.Principal{Subject: ClockSubject})
	_, err := sqlstore.RetryConflicts(ctx, func() (bool, error) {
		return true, s.db.Write(clock, func(tx *sqlstore.Tx) error {
			before, v, err := contracts.Get(clock, tx, name)
			if err != nil {
				return err
			}
			c := proto.CloneOf(before)
			if !terms.InTime(c, s.now()) {
				return nil // another reader wrote it first
			}
			if c.GetState() == contractv1.ContractState_CONTRACT_STATE_EXPIRED {
				// spec: one live contract per engagement; an expired one
				// no longer is.
				if err := releaseEngagement(clock, tx, c); err != nil {
					return err
				}
			}
			c.UpdateTime = timestamppb.New(s.now())
			if err := contracts.Update(clock, tx, name, c, v); err != nil {
				return err
			}
			return audit.Record(clock, tx, name, "", before, c)
		})
	})
	return err
}

// sweepSlot is how often ListContracts sweeps. A state in time falls due
// at a local midnight (a start, an end, a revision's effective date), and
// every time zone's offset is a multiple of 15 minutes; one due at once
// (a contract signed after its start) is made by the signature itself. So
// a sweep in the first List of each quarter hour of the clock finds every
// change as soon as it is due, and the Lists in between need not read
// every live contract again. (A Get, or any change, of one contract still
// brings that contract up to date first.)
const sweepSlot = 15 * time.Minute

// sweep brings every SIGNED or ACTIVE contract up to date with time, once
// per sweepSlot of the clock (a failed sweep is tried again next call).
func (s *Server) sweep(ctx context.Context) error {
	slot := s.now().Truncate(sweepSlot).Unix()
	if s.swept.Load() == slot {
		return nil
	}
	if err := s.sweepAll(ctx); err != nil {
		return err
	}
	s.swept.Store(slot)
	return nil
}

func (s *Server) sweepAll(ctx context.Context) error {
	due, err := sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) ([]string, error) {
		var out []string
		for _, st := range []string{"SIGNED", "ACTIVE"} {
			cs, err := contracts.List(ctx, tx, docstore.Query{Terms: []listing.Term{{Field: "state", Op: listing.Equal, Value: st}}})
			if err != nil {
				return nil, err
			}
			for _, c := range cs {
				if terms.InTime(proto.CloneOf(c), s.now()) {
					out = append(out, c.GetName())
				}
			}
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	for _, name := range due {
		if err := s.advance(ctx, name); err != nil {
			return err
		}
	}
	return nil
}
