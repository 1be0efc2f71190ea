package catalog

import (
	"context"
	"fmt"
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
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/scope"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// A scope is stored twice over: scopeDocs holds its latest revision, and
// scopeRevisionDocs each approved revision, frozen when it is approved.

// GetScope implements catalogv1.CatalogServiceServer: the latest revision,
// or an earlier (approved) one by number. A provider user reads the scope
// of an engagement awarded to it, and the revision a sourcing event it is
// invited to was published on: that revision is the RFP it bids on.
func (s *Server) GetScope(ctx context.Context, req *catalogv1.GetScopeRequest) (*catalogv1.Scope, error) {
	name, err := names.Parse[catalogv1.ScopeResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	engagement := name.EngagementResourceName()
	var sc *catalogv1.Scope
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		all, bidding, err := readableScopeRevisions(ctx, tx, engagement)
		if err != nil {
			return err
		}
		if sc, _, err = scopeDocs.Get(ctx, tx, name.String()); err != nil {
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
			return apperr.New(apperr.NotFound, "%s has no revision %d; the latest is %d", name, n, sc.GetRevision())
		}
		sc, _, err = scopeRevisionDocs.Get(ctx, tx, scopeRevisionName(engagement, n))
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
func readableScopeRevisions(ctx context.Context, tx *sqlstore.Tx, engagement catalogv1.EngagementResourceName) (all bool, bidding []int64, err error) {
	_, err = readEngagement(ctx, tx, engagement)
	caller := auth.FromContext(ctx)
	if err == nil || !caller.IsProviderOnly() || apperr.KindOf(err) != apperr.PermissionDenied {
		return err == nil, nil, err
	}
	events, lerr := eventDocs.List(ctx, tx, docstore.Query{Limit: 1000, Terms: []listing.Term{
		{Field: "engagement", Op: listing.Equal, Value: engagement.String()},
		{Field: "invited_provider", Op: listing.Equal, Value: caller.Provider},
		{Field: "published", Op: listing.Equal, Value: "true"},
	}})
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
// REVIEW is refused. The caller becomes the revision's author and one of
// its editors, none of whom may approve it.
func (s *Server) UpdateScope(ctx context.Context, req *catalogv1.UpdateScopeRequest) (*catalogv1.Scope, error) {
	in := req.GetScope()
	name, err := names.Parse[catalogv1.ScopeResourceName]("scope.name", in.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateScope_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Scope, error) {
			before, v, err := scopeDocs.GetForChange(ctx, tx, name.String(), in.GetEtag())
			if err != nil {
				return nil, err
			}
			next, newRevision, err := scope.Next(before.GetState(), scope.Edit)
			if err != nil {
				return nil, err
			}
			sc := proto.CloneOf(before)
			if err := fieldmask.Apply(sc, in, req.GetUpdateMask().GetPaths(), "", nil); err != nil {
				return nil, err
			}
			if err := scope.Validate(sc, "scope"); err != nil {
				return nil, err
			}
			if newRevision {
				scope.StartRevision(sc, auth.Subject(ctx))
			} else {
				scope.AddEditor(sc, auth.Subject(ctx))
			}
			sc.State, sc.Author, sc.UpdateTime = next, auth.Subject(ctx), timestamppb.New(s.now())
			return sc, writeScope(ctx, tx, req.GetRequestId(), before, sc, v)
		})
}

// scopeChange is what the requests that move a scope revision through its
// review share.
type scopeChange interface {
	proto.Message
	GetName() string
	GetEtag() string
	GetRequestId() string
}

// changeScope moves the latest revision of a scope by action: change sets
// what the action sets besides the state (it may refuse).
func (s *Server) changeScope(ctx context.Context, method string, req scopeChange, action scope.Action, change func(before, sc *catalogv1.Scope) error) (*catalogv1.Scope, error) {
	name, err := names.Parse[catalogv1.ScopeResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, method, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Scope, error) {
			before, v, err := scopeDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
			if err != nil {
				return nil, err
			}
			next, _, err := scope.Next(before.GetState(), action)
			if err != nil {
				return nil, err
			}
			sc := proto.CloneOf(before)
			sc.State, sc.UpdateTime = next, timestamppb.New(s.now())
			if err := change(before, sc); err != nil {
				return nil, err
			}
			if err := writeScope(ctx, tx, req.GetRequestId(), before, sc, v); err != nil {
				return nil, err
			}
			if next != catalogv1.ScopeState_SCOPE_STATE_APPROVED {
				return sc, nil
			}
			if err := scopeRevisionDocs.Insert(ctx, tx, scopeRevisionName(name.EngagementResourceName(), sc.GetRevision()), proto.CloneOf(sc)); err != nil {
				return nil, err
			}
			// A changed approved scope moves the engagement's PUBLISHED
			// events to it: their proposals need confirmation.
			return sc, s.engagementChanged(ctx, tx, name.EngagementResourceName().String(), sc.GetRevision(),
				fmt.Sprintf("scope revision %d approved", sc.GetRevision()), req.GetRequestId())
		})
}

// SubmitScope implements catalogv1.CatalogServiceServer: DRAFT → IN_REVIEW.
func (s *Server) SubmitScope(ctx context.Context, req *catalogv1.SubmitScopeRequest) (*catalogv1.Scope, error) {
	return s.changeScope(ctx, catalogv1.CatalogService_SubmitScope_FullMethodName, req, scope.Submit, func(before, sc *catalogv1.Scope) error {
		sc.RejectionReason = ""
		return scope.Submittable(before)
	})
}

// ApproveScope implements catalogv1.CatalogServiceServer: IN_REVIEW →
// APPROVED by an approver who wrote no part of the revision (four eyes),
// and the approved revision is kept frozen under its number.
func (s *Server) ApproveScope(ctx context.Context, req *catalogv1.ApproveScopeRequest) (*catalogv1.Scope, error) {
	approver := auth.Subject(ctx)
	return s.changeScope(ctx, catalogv1.CatalogService_ApproveScope_FullMethodName, req, scope.Approve, func(before, sc *catalogv1.Scope) error {
		if err := scope.CheckApprover(before, approver); err != nil {
			return err
		}
		sc.Approver, sc.ApproveTime = approver, sc.GetUpdateTime()
		return nil
	})
}

// RejectScope implements catalogv1.CatalogServiceServer: IN_REVIEW → DRAFT,
// with the approver's reason on the revision and in the audit record.
func (s *Server) RejectScope(ctx context.Context, req *catalogv1.RejectScopeRequest) (*catalogv1.Scope, error) {
	reason := trimmed(req.GetReason())
	if reason == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "reason", Description: "say why the scope goes back to its author"})
	}
	return s.changeScope(ctx, catalogv1.CatalogService_RejectScope_FullMethodName, req, scope.Reject, func(_, sc *catalogv1.Scope) error {
		sc.RejectionReason = reason
		return nil
	})
}

// writeScope stores the scope's new latest revision and audits the change.
func writeScope(ctx context.Context, tx *sqlstore.Tx, requestID string, before, after *catalogv1.Scope, v sqlstore.Version) error {
	if err := scopeDocs.Update(ctx, tx, after.GetName(), after, v); err != nil {
		return err
	}
	return audit.Record(ctx, tx, after.GetName(), requestID, before, after)
}
