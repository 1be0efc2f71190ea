package catalog

import (
	"context"
	"slices"
	"strconv"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/scope"
)

// A scope is stored twice over: `engagements/{e}/scope` holds its latest
// revision (the one being written, reviewed or last approved), and each
// approved revision n is kept frozen at `engagements/{e}/scopeRevisions/{n}`
// when it is approved, so that a sourcing event can name the revision it
// used and GetScope can serve it after a newer revision was started.

var scopeMask = fieldmask.Rules{Updatable: scope.Updatable, OutputOnly: scope.OutputOnly}

// engagementOf is the engagement a scope name belongs to.
func engagementOf(scopeName string) string { return strings.TrimSuffix(scopeName, "/scope") }

// ScopeRevisionName is where approved revision n of the scope of
// engagement is kept.
func ScopeRevisionName(engagement string, n int64) string {
	return engagement + "/scopeRevisions/" + strconv.FormatInt(n, 10)
}

// GetScope implements catalogv1.CatalogServiceServer: the latest revision,
// or an earlier (approved) one by number. A provider user reads the scope
// of an engagement awarded to it, and the revision a sourcing event it is
// invited to was published on: that revision is the RFP it bids on.
func (s *Server) GetScope(ctx context.Context, req *catalogv1.GetScopeRequest) (*catalogv1.Scope, error) {
	engagement := engagementOf(req.GetName())
	sc := &catalogv1.Scope{}
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		all, bidding, err := readableScopeRevisions(ctx, tx, engagement)
		if err != nil {
			return err
		}
		if _, err := docstore.Get(ctx, tx, req.GetName(), sc); err != nil {
			return err
		}
		n := req.GetRevision()
		if n == 0 {
			n = sc.GetRevision()
		}
		if !all && !slices.Contains(bidding, n) {
			return apperr.New(apperr.PermissionDenied, "a provider user may read only the scope revision its sourcing event was published on (%s: revision %s); ask for that revision",
				engagement, joinInts(bidding))
		}
		switch {
		case n == sc.GetRevision():
			return nil
		case n > sc.GetRevision():
			return apperr.New(apperr.NotFound, "%s has no revision %d; the latest is %d", req.GetName(), n, sc.GetRevision())
		}
		sc.Reset()
		_, err = docstore.Get(ctx, tx, ScopeRevisionName(engagement, n), sc)
		return err
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// readableScopeRevisions says which revisions of an engagement's scope the
// caller may read: all of them (staff, and the provider the engagement is
// awarded to), or, for a provider user invited to published sourcing
// events of the engagement, the revisions those were published on. Any
// other provider user is refused without learning whether the engagement
// exists.
func readableScopeRevisions(ctx context.Context, tx *sqlstore.Tx, engagement string) (all bool, bidding []int64, err error) {
	_, _, err = readEngagement(ctx, tx, engagement)
	caller := auth.FromContext(ctx)
	if err == nil || !caller.IsProviderOnly() || apperr.KindOf(err) != apperr.PermissionDenied {
		return err == nil, nil, err
	}
	events, lerr := docstore.List(ctx, tx, docstore.Query{Kind: "sourcingEvents", Limit: 1000, Terms: []listing.Term{
		{Field: "engagement", Op: listing.Equal, Value: engagement},
		{Field: "invited_provider", Op: listing.Equal, Value: caller.Provider},
		{Field: "published", Op: listing.Equal, Value: "true"},
	}}, func() *catalogv1.SourcingEvent { return &catalogv1.SourcingEvent{} })
	if lerr != nil {
		return false, nil, lerr
	}
	for _, e := range events {
		if !slices.Contains(bidding, e.GetScopeRevision()) {
			bidding = append(bidding, e.GetScopeRevision())
		}
	}
	if len(bidding) == 0 {
		return false, nil, apperr.New(apperr.PermissionDenied, "a provider user may read only the scope of an engagement awarded to its own provider (%s) or of a sourcing event it is invited to", caller.Provider)
	}
	return false, bidding, nil
}

func joinInts(ns []int64) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(s, ", ")
}

// UpdateScope implements catalogv1.CatalogServiceServer: a DRAFT changes in
// place, an APPROVED revision is followed by a new DRAFT revision, one IN
// REVIEW is refused. The caller becomes the revision's author.
func (s *Server) UpdateScope(ctx context.Context, req *catalogv1.UpdateScopeRequest) (*catalogv1.Scope, error) {
	in := req.GetScope()
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateScope_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Scope, error) {
			before, v, err := s.scopeForChange(ctx, tx, in.GetName(), in.GetEtag())
			if err != nil {
				return nil, err
			}
			next, newRevision, err := scope.Next(before.GetState(), scope.Edit)
			if err != nil {
				return nil, err
			}
			sc := clone(before)
			if err := fieldmask.Apply(sc, in, req.GetUpdateMask().GetPaths(), scopeMask, nil); err != nil {
				return nil, err
			}
			if err := scope.Validate(sc, "scope"); err != nil {
				return nil, err
			}
			if newRevision {
				sc.Revision++
				sc.Approver, sc.ApproveTime, sc.RejectionReason = "", nil, ""
			}
			sc.State, sc.Author, sc.UpdateTime = next, auth.Subject(ctx), timestamp(s.now())
			return sc, s.writeScope(ctx, tx, req.GetRequestId(), before, sc, v)
		})
}

// SubmitScope implements catalogv1.CatalogServiceServer: DRAFT → IN_REVIEW.
func (s *Server) SubmitScope(ctx context.Context, req *catalogv1.SubmitScopeRequest) (*catalogv1.Scope, error) {
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_SubmitScope_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Scope, error) {
			before, v, err := s.scopeForChange(ctx, tx, req.GetName(), req.GetEtag())
			if err != nil {
				return nil, err
			}
			next, _, err := scope.Next(before.GetState(), scope.Submit)
			if err != nil {
				return nil, err
			}
			if err := scope.Submittable(before); err != nil {
				return nil, err
			}
			sc := clone(before)
			sc.State, sc.RejectionReason, sc.UpdateTime = next, "", timestamp(s.now())
			return sc, s.writeScope(ctx, tx, req.GetRequestId(), before, sc, v)
		})
}

// ApproveScope implements catalogv1.CatalogServiceServer: IN_REVIEW →
// APPROVED by an approver who is not the revision's author (four eyes),
// and the approved revision is kept frozen under its number.
func (s *Server) ApproveScope(ctx context.Context, req *catalogv1.ApproveScopeRequest) (*catalogv1.Scope, error) {
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_ApproveScope_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Scope, error) {
			before, v, err := s.scopeForChange(ctx, tx, req.GetName(), req.GetEtag())
			if err != nil {
				return nil, err
			}
			next, _, err := scope.Next(before.GetState(), scope.Approve)
			if err != nil {
				return nil, err
			}
			if before.GetAuthor() == auth.Subject(ctx) {
				return nil, apperr.New(apperr.PermissionDenied, "an approver cannot approve a scope they wrote: revision %d of %s was last edited by %s; another approver must approve it",
					before.GetRevision(), req.GetName(), before.GetAuthor())
			}
			now := timestamp(s.now())
			sc := clone(before)
			sc.State, sc.Approver, sc.ApproveTime, sc.UpdateTime = next, auth.Subject(ctx), now, now
			if err := s.writeScope(ctx, tx, req.GetRequestId(), before, sc, v); err != nil {
				return nil, err
			}
			frozen := clone(sc)
			return sc, docstore.Insert(ctx, tx, ScopeRevisionName(engagementOf(sc.GetName()), sc.GetRevision()), frozen, nil)
		})
}

// RejectScope implements catalogv1.CatalogServiceServer: IN_REVIEW → DRAFT,
// with the approver's reason on the revision and in the audit record.
func (s *Server) RejectScope(ctx context.Context, req *catalogv1.RejectScopeRequest) (*catalogv1.Scope, error) {
	if trimmed(req.GetReason()) == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "reason", Description: "say why the scope goes back to its author"})
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_RejectScope_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Scope, error) {
			before, v, err := s.scopeForChange(ctx, tx, req.GetName(), req.GetEtag())
			if err != nil {
				return nil, err
			}
			next, _, err := scope.Next(before.GetState(), scope.Reject)
			if err != nil {
				return nil, err
			}
			sc := clone(before)
			sc.State, sc.RejectionReason, sc.UpdateTime = next, trimmed(req.GetReason()), timestamp(s.now())
			return sc, s.writeScope(ctx, tx, req.GetRequestId(), before, sc, v)
		})
}

// scopeForChange reads the latest revision of a scope to change it,
// checking the etag the caller sent.
func (s *Server) scopeForChange(ctx context.Context, tx *sqlstore.Tx, name, etag string) (*catalogv1.Scope, sqlstore.Version, error) {
	sc := &catalogv1.Scope{}
	v, err := docstore.Get(ctx, tx, name, sc)
	if err != nil {
		return nil, v, err
	}
	return sc, v, sqlstore.CheckETag(name, etag, sc.GetEtag())
}

// writeScope stores the scope's new latest revision and audits the change.
func (s *Server) writeScope(ctx context.Context, tx *sqlstore.Tx, requestID string, before, after *catalogv1.Scope, v sqlstore.Version) error {
	if err := docstore.Update(ctx, tx, after.GetName(), after, v, nil); err != nil {
		return err
	}
	return audit.Record(ctx, tx, after.GetName(), requestID, before, after)
}
