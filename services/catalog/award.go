package catalog

// Step 3, select: the award, proposed by a sourcing manager and approved by
// another approver. spec: catalog.md §3 "Award".

import (
	"context"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// AwardSourcingEvent implements catalogv1.CatalogServiceServer: the
// sourcing manager proposes the award of an EVALUATED event to a
// qualified proposal (replacing an earlier proposed award not yet
// approved); any but the top-ranked needs a justification.
// spec: catalog.md §3 "Award".
func (s *Server) AwardSourcingEvent(ctx context.Context, req *catalogv1.AwardSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	event, err := names.Parse[catalogv1.SourcingEventResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	proposal, err := names.Parse[catalogv1.ProposalResourceName]("proposal", req.GetProposal())
	if err != nil {
		return nil, err
	}
	if proposal.SourcingEventResourceName() != event {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "proposal", Description: "must be a proposal of " + event.String()})
	}
	if err := s.closeIfDue(ctx, event); err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_AwardSourcingEvent_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
			before, v, err := eventDocs.GetForChange(ctx, tx, event.String(), req.GetEtag())
			if err != nil {
				return nil, err
			}
			next, err := selection.Next(before.GetState(), selection.Award)
			if err != nil {
				return nil, err
			}
			p, _, err := proposalDocs.Get(ctx, tx, proposal.String())
			if err != nil {
				return nil, err
			}
			if p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED {
				return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: only a QUALIFIED proposal can be awarded", p.GetName(), protoenum.Short(p.GetState()))
			}
			r, err := s.rank(ctx, tx, before)
			if err != nil {
				return nil, err
			}
			justification := strings.TrimSpace(req.GetJustification())
			if top := r.Proposals[0]; top.Proposal != p.GetName() && justification == "" {
				mine, _ := r.Find(p.GetName())
				return nil, apperr.New(apperr.FailedPrecondition, "%s ranks %d (total %s) and %s ranks first (total %s): awarding any but the top-ranked proposal needs a justification",
					p.GetName(), mine.Rank, selection.Decimal2(mine.Total), top.Proposal, selection.Decimal2(top.Total))
			}
			e := proto.CloneOf(before)
			e.State = next
			e.Award = &catalogv1.Award{
				Proposal:      p.GetName(),
				Provider:      p.GetProvider(),
				Justification: justification,
				ProposedBy:    auth.Subject(ctx),
				ProposeTime:   timestamppb.New(s.now()),
			}
			return e, s.writeEvent(ctx, tx, req.GetRequestId(), before, e, v)
		})
}

// ApproveAward implements catalogv1.CatalogServiceServer: an approver who
// did not propose the award approves it; the event is AWARDED, the
// awarded proposal AWARDED and the other qualified ones NOT_SELECTED, and
// the engagement records the award — all in one transaction.
// spec: catalog.md §3 "Award".
func (s *Server) ApproveAward(ctx context.Context, req *catalogv1.ApproveAwardRequest) (*catalogv1.SourcingEvent, error) {
	event, err := names.Parse[catalogv1.SourcingEventResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_ApproveAward_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
			before, v, err := eventDocs.GetForChange(ctx, tx, event.String(), req.GetEtag())
			if err != nil {
				return nil, err
			}
			next, err := selection.Next(before.GetState(), selection.Approve)
			if err != nil {
				return nil, err
			}
			award := before.GetAward()
			if award.GetProposal() == "" {
				return nil, apperr.New(apperr.FailedPrecondition, "no award of %s has been proposed: a sourcing manager proposes one with AwardSourcingEvent first", event)
			}
			if award.GetProposedBy() == auth.Subject(ctx) {
				return nil, apperr.New(apperr.PermissionDenied, "an approver cannot approve an award they proposed; another approver must")
			}
			r, err := s.rank(ctx, tx, before)
			if err != nil {
				return nil, err
			}
			won, ok := r.Find(award.GetProposal())
			if !ok {
				return nil, apperr.New(apperr.FailedPrecondition, "%s is no longer qualified; propose another award", award.GetProposal())
			}
			engName, err := storedName[catalogv1.EngagementResourceName](before.GetEngagement())
			if err != nil {
				return nil, err
			}
			eng, engV, err := engagementDocs.Get(ctx, tx, engName.String())
			if err != nil {
				return nil, err
			}
			if a := eng.GetAward(); a.GetSourcingEvent() != "" {
				return nil, apperr.New(apperr.FailedPrecondition, "%s was already awarded by %s to %s", eng.GetName(), a.GetSourcingEvent(), a.GetProvider())
			}
			now := timestamppb.New(s.now())

			e := proto.CloneOf(before)
			e.State = next
			e.Award.ApprovedBy, e.Award.ApproveTime = auth.Subject(ctx), now
			if err := s.writeEvent(ctx, tx, req.GetRequestId(), before, e, v); err != nil {
				return nil, err
			}
			for _, rp := range r.Proposals {
				state := catalogv1.ProposalState_PROPOSAL_STATE_NOT_SELECTED
				if rp.Proposal == award.GetProposal() {
					state = catalogv1.ProposalState_PROPOSAL_STATE_AWARDED
				}
				if err := setProposalState(ctx, tx, rp.Proposal, state, req.GetRequestId()); err != nil {
					return nil, err
				}
			}
			// Every provider that bid learns how it ended for it, and nothing
			// of the others. spec: catalog.md §3 "Award".
			all, err := listProposals(ctx, tx, event)
			if err != nil {
				return nil, err
			}
			for _, p := range all {
				switch p.GetState() {
				case catalogv1.ProposalState_PROPOSAL_STATE_AWARDED, catalogv1.ProposalState_PROPOSAL_STATE_NOT_SELECTED, catalogv1.ProposalState_PROPOSAL_STATE_DISQUALIFIED:
					if err := s.notifyOutcome(ctx, tx, p, event.String(), req.GetRequestId()); err != nil {
						return nil, err
					}
				}
			}
			engAfter := proto.CloneOf(eng)
			engAfter.Award = &catalogv1.EngagementAward{
				SourcingEvent:      e.GetName(),
				Proposal:           award.GetProposal(),
				Provider:           award.GetProvider(),
				TotalContractValue: won.TCV.Proto(),
				TotalScore:         selection.Decimal2(won.Total),
				AwardTime:          now,
			}
			engAfter.UpdateTime = now
			if err := engagementDocs.Update(ctx, tx, engName.String(), engAfter, engV); err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, eng.GetName(), req.GetRequestId(), eng, engAfter); err != nil {
				return nil, err
			}
			return e, nil
		})
}

func setProposalState(ctx context.Context, tx *sqlstore.Tx, name string, state catalogv1.ProposalState, requestID string) error {
	before, v, err := proposalDocs.Get(ctx, tx, name)
	if err != nil {
		return err
	}
	p := proto.CloneOf(before)
	p.State = state
	if err := proposalDocs.Update(ctx, tx, name, p, v); err != nil {
		return err
	}
	return audit.Record(ctx, tx, name, requestID, before, p)
}
