package catalog

// After the award: the unsuccessful providers are told, and when the
// awarded provider withdraws before a contract is signed the award passes
// on. spec: catalog.md §3 "Award".

import (
	"context"
	"fmt"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var fallbackPolicy = auth.Policy{
	catalogv1.CatalogService_WithdrawAward_FullMethodName:     {auth.SourcingManager},
	catalogv1.CatalogService_ListNotifications_FullMethodName: auth.Readers,
}

// notificationDocs are the providers' notifications.
var notificationDocs = docstore.Resource(listing.Schema[*catalogv1.Notification]{})

// notify writes a notification to the provider of proposal p, in tx. Its
// message is about p alone: never another provider's price, score or rank.
func (s *Server) notify(ctx context.Context, tx *sqlstore.Tx, p *catalogv1.Proposal, kind catalogv1.NotificationKind, message, requestID string) error {
	prov, err := storedName[catalogv1.ProviderResourceName](p.GetProvider())
	if err != nil {
		return err
	}
	pn, err := storedName[catalogv1.ProposalResourceName](p.GetName())
	if err != nil {
		return err
	}
	n := &catalogv1.Notification{
		Name:          prov.NotificationResourceName(names.NewID()).String(),
		SourcingEvent: pn.SourcingEventResourceName().String(),
		Proposal:      p.GetName(),
		Kind:          kind,
		Message:       message,
		CreateTime:    timestamppb.New(s.now()),
	}
	if err := notificationDocs.Insert(ctx, tx, n.GetName(), n); err != nil {
		return err
	}
	return audit.Record(ctx, tx, n.GetName(), requestID, nil, n)
}

// notifyOutcome tells the provider of a proposal of an AWARDED event how
// it ended for it.
func (s *Server) notifyOutcome(ctx context.Context, tx *sqlstore.Tx, p *catalogv1.Proposal, event, requestID string) error {
	if p.GetState() == catalogv1.ProposalState_PROPOSAL_STATE_AWARDED {
		return s.notify(ctx, tx, p, catalogv1.NotificationKind_NOTIFICATION_KIND_AWARDED,
			fmt.Sprintf("Your proposal %s was awarded %s.", p.GetName(), event), requestID)
	}
	return s.notify(ctx, tx, p, catalogv1.NotificationKind_NOTIFICATION_KIND_NOT_SELECTED,
		fmt.Sprintf("Your proposal %s was not selected in %s. Thank you for taking part.", p.GetName(), event), requestID)
}

// ListNotifications implements catalogv1.CatalogServiceServer: a provider
// user lists its own provider's only.
func (s *Server) ListNotifications(ctx context.Context, req *catalogv1.ListNotificationsRequest) (*catalogv1.ListNotificationsResponse, error) {
	parent, err := names.Parse[catalogv1.ProviderResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	if err := ownProviderOnly(auth.FromContext(ctx), parent.String()); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.ListNotificationsResponse, error) {
		if _, _, err := providerDocs.Get(ctx, tx, parent.String()); err != nil {
			return nil, err
		}
		page, next, err := notificationDocs.Page(ctx, tx, req, docstore.Query{Parent: parent.String()})
		return &catalogv1.ListNotificationsResponse{Notifications: page, NextPageToken: next}, err
	})
}

// WithdrawAward implements catalogv1.CatalogServiceServer: the awarded
// provider withdrew before a contract was signed. The event is EVALUATED
// again with the award moved to withdrawn_awards, the proposal WITHDRAWN
// (out of the ranking, so the next-ranked is first), the other ranked
// proposals QUALIFIED again and the engagement's award cleared; a
// sourcing manager then awards the next one (AwardSourcingEvent) and
// another approver approves it (ApproveAward), as for the first award.
//
// The catalog calls no other service, so it cannot itself see whether a
// contract was signed: the sourcing manager records the withdrawal, and
// the contract service, which reads the engagement's award, finds it gone.
func (s *Server) WithdrawAward(ctx context.Context, req *catalogv1.WithdrawAwardRequest) (*catalogv1.SourcingEvent, error) {
	event, err := names.Parse[catalogv1.SourcingEventResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	reason := trimmed(req.GetReason())
	if reason == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "reason", Description: "say why the provider withdrew"})
	}
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.SourcingEvent, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_WithdrawAward_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
				before, v, err := eventDocs.GetForChange(ctx, tx, event.String(), req.GetEtag())
				if err != nil {
					return nil, err
				}
				next, err := selection.Next(before.GetState(), selection.Withdraw)
				if err != nil {
					return nil, err
				}
				if err := bumpGuard(ctx, tx, event); err != nil {
					return nil, err
				}
				now := timestamppb.New(s.now())
				e := proto.CloneOf(before)
				gone := proto.CloneOf(before.GetAward())
				gone.WithdrawReason, gone.WithdrawnBy, gone.WithdrawTime = reason, auth.Subject(ctx), now
				e.WithdrawnAwards = append(e.WithdrawnAwards, gone)
				e.Award, e.State = nil, next
				if err := s.writeEvent(ctx, tx, req.GetRequestId(), before, e, v); err != nil {
					return nil, err
				}
				proposals, err := listProposals(ctx, tx, event)
				if err != nil {
					return nil, err
				}
				for _, p := range proposals {
					switch p.GetState() {
					case catalogv1.ProposalState_PROPOSAL_STATE_AWARDED:
						err = setProposalState(ctx, tx, p.GetName(), catalogv1.ProposalState_PROPOSAL_STATE_WITHDRAWN, req.GetRequestId())
					case catalogv1.ProposalState_PROPOSAL_STATE_NOT_SELECTED:
						err = setProposalState(ctx, tx, p.GetName(), catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED, req.GetRequestId())
					}
					if err != nil {
						return nil, err
					}
				}
				eng, engV, err := engagementDocs.Get(ctx, tx, e.GetEngagement())
				if err != nil {
					return nil, err
				}
				if eng.GetAward().GetSourcingEvent() == e.GetName() {
					after := proto.CloneOf(eng)
					after.Award, after.UpdateTime = nil, now
					if err := engagementDocs.Update(ctx, tx, eng.GetName(), after, engV); err != nil {
						return nil, err
					}
					if err := audit.Record(ctx, tx, eng.GetName(), req.GetRequestId(), eng, after); err != nil {
						return nil, err
					}
				}
				return e, nil
			})
	})
}
