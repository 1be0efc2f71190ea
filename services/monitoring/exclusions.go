package monitoring

import (
	"context"
	"fmt"
	"slices"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// exclusionDocs are the exclusions, filtered by `state` and `kind`.
// spec: monitoring.md "Metric definitions" (exclusions).
var exclusionDocs = docstore.Resource(listing.Schema[*monitoringv1.Exclusion]{Fields: []listing.Field[*monitoringv1.Exclusion]{
	listing.Enum("state", (*monitoringv1.Exclusion).GetState),
	listing.Enum("kind", (*monitoringv1.Exclusion).GetKind),
}})

// partyOf is the side of the contract the caller acts for: a user of the
// contracted provider for the provider, a governance manager for the
// client (admins act for the client). Anyone else has no side.
func partyOf(caller *auth.Principal, c *contractv1.Contract) monitoringv1.Party {
	switch {
	case caller.Has(auth.ProviderUser) && caller.Provider == c.GetProvider():
		return monitoringv1.Party_PARTY_PROVIDER
	case caller.HasAny(auth.GovernanceManager, auth.Admin):
		return monitoringv1.Party_PARTY_CLIENT
	}
	return monitoringv1.Party_PARTY_UNSPECIFIED
}

// CreateExclusion implements monitoringv1.MonitoringServiceServer.
func (s *Server) CreateExclusion(ctx context.Context, req *monitoringv1.CreateExclusionRequest) (*monitoringv1.Exclusion, error) {
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	c, err := s.readContract(ctx, parent)
	if err != nil {
		return nil, err
	}
	caller := auth.FromContext(ctx)
	party := partyOf(caller, c)
	if party == monitoringv1.Party_PARTY_UNSPECIFIED {
		return nil, apperr.New(apperr.PermissionDenied, "only a user of the contracted provider (%s) or a governance manager may propose an exclusion for %s", c.GetProvider(), parent)
	}
	in := req.GetExclusion()
	var bad []apperr.FieldViolation
	levels := map[string]bool{}
	for _, l := range c.GetServiceLevels() {
		levels[l.GetKey()] = true
	}
	for i, k := range in.GetServiceLevelKeys() {
		if !levels[k] {
			bad = append(bad, apperr.FieldViolation{Field: fmt.Sprintf("exclusion.service_level_keys[%d]", i), Description: fmt.Sprintf("the contract has no service level %q", k)})
		}
	}
	start, end := in.GetStartTime().AsTime(), in.GetEndTime().AsTime()
	if !end.After(start) {
		bad = append(bad, apperr.FieldViolation{Field: "exclusion.end_time", Description: "must be after start_time"})
	}
	if len(bad) > 0 {
		return nil, apperr.Invalid(bad...)
	}
	return sqlstore.Idempotent(ctx, s.db, monitoringv1.MonitoringService_CreateExclusion_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*monitoringv1.Exclusion, error) {
			now := timestamppb.New(s.now())
			e := &monitoringv1.Exclusion{
				Name:             parent.String() + "/exclusions/" + ulid.Make().String(),
				Kind:             in.GetKind(),
				ServiceLevelKeys: in.GetServiceLevelKeys(),
				StartTime:        in.GetStartTime(),
				EndTime:          in.GetEndTime(),
				Reason:           in.GetReason(),
				State:            monitoringv1.ExclusionState_EXCLUSION_STATE_PROPOSED,
				Proposer:         auth.Subject(ctx),
				ProposerParty:    party,
				CreateTime:       now,
				UpdateTime:       now,
			}
			if err := exclusionDocs.Insert(ctx, tx, e.GetName(), e); err != nil {
				return nil, err
			}
			return e, audit.Record(ctx, tx, e.GetName(), req.GetRequestId(), nil, e)
		})
}

// GetExclusion implements monitoringv1.MonitoringServiceServer.
func (s *Server) GetExclusion(ctx context.Context, req *monitoringv1.GetExclusionRequest) (*monitoringv1.Exclusion, error) {
	name, err := names.Parse[monitoringv1.ExclusionResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if _, err := s.readContract(ctx, contractv1.ContractResourceName{Contract: name.Contract}); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*monitoringv1.Exclusion, error) {
		e, _, err := exclusionDocs.Get(ctx, tx, name.String())
		return e, err
	})
}

// ListExclusions implements monitoringv1.MonitoringServiceServer.
func (s *Server) ListExclusions(ctx context.Context, req *monitoringv1.ListExclusionsRequest) (*monitoringv1.ListExclusionsResponse, error) {
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	if _, err := s.readContract(ctx, parent); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*monitoringv1.ListExclusionsResponse, error) {
		page, next, err := exclusionDocs.Page(ctx, tx, req, docstore.Query{Parent: parent.String()})
		return &monitoringv1.ListExclusionsResponse{Exclusions: page, NextPageToken: next}, err
	})
}

// ApproveExclusion implements monitoringv1.MonitoringServiceServer.
func (s *Server) ApproveExclusion(ctx context.Context, req *monitoringv1.ApproveExclusionRequest) (*monitoringv1.Exclusion, error) {
	return s.decideExclusion(ctx, monitoringv1.MonitoringService_ApproveExclusion_FullMethodName, req, req.GetName(), req.GetEtag(), req.GetRequestId(),
		monitoringv1.ExclusionState_EXCLUSION_STATE_APPROVED, "")
}

// RejectExclusion implements monitoringv1.MonitoringServiceServer.
func (s *Server) RejectExclusion(ctx context.Context, req *monitoringv1.RejectExclusionRequest) (*monitoringv1.Exclusion, error) {
	return s.decideExclusion(ctx, monitoringv1.MonitoringService_RejectExclusion_FullMethodName, req, req.GetName(), req.GetEtag(), req.GetRequestId(),
		monitoringv1.ExclusionState_EXCLUSION_STATE_REJECTED, req.GetReason())
}

// decideExclusion moves a PROPOSED exclusion to state: only the other side
// than the proposer's decides (four eyes across the parties), and never
// the proposer.
func (s *Server) decideExclusion(ctx context.Context, method string, req proto.Message, nameText, etag, requestID string, state monitoringv1.ExclusionState, reason string) (*monitoringv1.Exclusion, error) {
	name, err := names.Parse[monitoringv1.ExclusionResourceName]("name", nameText)
	if err != nil {
		return nil, err
	}
	c, err := s.readContract(ctx, contractv1.ContractResourceName{Contract: name.Contract})
	if err != nil {
		return nil, err
	}
	party := partyOf(auth.FromContext(ctx), c)
	return sqlstore.Idempotent(ctx, s.db, method, requestID, auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*monitoringv1.Exclusion, error) {
			before, v, err := exclusionDocs.GetForChange(ctx, tx, name.String(), etag)
			if err != nil {
				return nil, err
			}
			if st := before.GetState(); st != monitoringv1.ExclusionState_EXCLUSION_STATE_PROPOSED {
				return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: only a PROPOSED exclusion is approved or rejected", name, protoenum.Short(st))
			}
			other := monitoringv1.Party_PARTY_CLIENT
			if before.GetProposerParty() == monitoringv1.Party_PARTY_CLIENT {
				other = monitoringv1.Party_PARTY_PROVIDER
			}
			if party != other || auth.Subject(ctx) == before.GetProposer() {
				who := "a governance manager"
				if other == monitoringv1.Party_PARTY_PROVIDER {
					who = "a user of the contracted provider " + c.GetProvider()
				}
				return nil, apperr.New(apperr.PermissionDenied, "%s was proposed by the %s side (%s): only the other side, %s, may decide it (four eyes)",
					name, protoenum.Short(before.GetProposerParty()), before.GetProposer(), who)
			}
			e := proto.CloneOf(before)
			now := timestamppb.New(s.now())
			e.State, e.DecidedBy, e.DecideTime, e.RejectionReason, e.UpdateTime = state, auth.Subject(ctx), now, reason, now
			if err := exclusionDocs.Update(ctx, tx, name.String(), e, v); err != nil {
				return nil, err
			}
			return e, audit.Record(ctx, tx, name.String(), requestID, before, e)
		})
}

// exclusionSpan is an approved exclusion as evaluation applies it.
type exclusionSpan struct {
	name, kind, reason string
	keys               []string
	start, end         time.Time
}

func (e exclusionSpan) names(key string) bool { return slices.Contains(e.keys, key) }

// approvedExclusions are the contract's APPROVED exclusions.
func approvedExclusions(ctx context.Context, tx *sqlstore.Tx, contract contractv1.ContractResourceName) ([]exclusionSpan, error) {
	all, err := exclusionDocs.List(ctx, tx, docstore.Query{Parent: contract.String(),
		Terms: []listing.Term{{Field: "state", Op: listing.Equal, Value: protoenum.Short(monitoringv1.ExclusionState_EXCLUSION_STATE_APPROVED)}}})
	if err != nil {
		return nil, err
	}
	out := make([]exclusionSpan, 0, len(all))
	for _, e := range all {
		out = append(out, exclusionSpan{
			name: e.GetName(), kind: protoenum.Short(e.GetKind()), reason: e.GetReason(), keys: e.GetServiceLevelKeys(),
			start: e.GetStartTime().AsTime(), end: e.GetEndTime().AsTime(),
		})
	}
	return out, nil
}
