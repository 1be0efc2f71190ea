package catalog

// Invitations: a provider declines one; a provider's standing warns when
// it is invited (POOR) or needs an approver's override (VERY_POOR).
// spec: catalog.md §3 "Provider" (standing) and "Sourcing event".

import (
	"context"
	"fmt"
	"slices"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/provider"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var invitationPolicy = auth.Policy{
	catalogv1.CatalogService_DeclineInvitation_FullMethodName: {auth.ProviderUser},
	catalogv1.CatalogService_ApproveInvitation_FullMethodName: {auth.Approver},
}

// declined reports whether provider declined its invitation to e.
func declined(e *catalogv1.SourcingEvent, provider string) bool {
	return slices.ContainsFunc(e.GetDeclinedInvitations(), func(d *catalogv1.DeclinedInvitation) bool { return d.GetProvider() == provider })
}

// overridden reports whether an approver let provider be invited to e.
func overridden(e *catalogv1.SourcingEvent, provider string) bool {
	return slices.ContainsFunc(e.GetInvitationOverrides(), func(o *catalogv1.InvitationOverride) bool { return o.GetProvider() == provider })
}

// invitationWarnings are the warnings of e's invitees' standings, read
// now: POOR warns; VERY_POOR warns that an approver's override is needed
// (or names the override given). They are stored on the event, so that
// the answer and the audit record of the change say them.
func invitationWarnings(ctx context.Context, tx *sqlstore.Tx, e *catalogv1.SourcingEvent) ([]string, error) {
	var out []string
	for _, name := range e.GetInvitedProviders() {
		p, _, err := providerDocs.Get(ctx, tx, name)
		if err != nil {
			return nil, err
		}
		switch p.GetStanding() {
		case catalogv1.Standing_STANDING_POOR:
			out = append(out, fmt.Sprintf("%s has standing POOR (average %s): invited, with this warning", name, provider.Average(p.GetPerformance())))
		case catalogv1.Standing_STANDING_VERY_POOR:
			if overridden(e, name) {
				out = append(out, fmt.Sprintf("%s has standing VERY_POOR (average %s): invited by an approver's override", name, provider.Average(p.GetPerformance())))
			} else {
				out = append(out, fmt.Sprintf("%s has standing VERY_POOR (average %s): an approver must approve its invitation (ApproveInvitation) before the event is published", name, provider.Average(p.GetPerformance())))
			}
		}
	}
	return out, nil
}

// checkOverrides refuses, naming them, invitees whose standing is
// VERY_POOR and whom no approver let be invited.
func checkOverrides(ctx context.Context, tx *sqlstore.Tx, e *catalogv1.SourcingEvent, what string) error {
	var missing []string
	for _, name := range e.GetInvitedProviders() {
		p, _, err := providerDocs.Get(ctx, tx, name)
		if err != nil {
			return err
		}
		if p.GetStanding() == catalogv1.Standing_STANDING_VERY_POOR && !overridden(e, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return apperr.New(apperr.FailedPrecondition, "cannot %s %s: the standing of %s is VERY_POOR, and inviting such a provider needs an approver's override (ApproveInvitation) with a reason",
			what, e.GetName(), strings.Join(missing, ", "))
	}
	return nil
}

// DeclineInvitation implements catalogv1.CatalogServiceServer: the
// caller's provider declines, with a reason, to bid in a PUBLISHED event
// before its deadline; one that has submitted a proposal cannot decline.
func (s *Server) DeclineInvitation(ctx context.Context, req *catalogv1.DeclineInvitationRequest) (*catalogv1.SourcingEvent, error) {
	name, err := names.Parse[catalogv1.SourcingEventResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	reason := trimmed(req.GetReason())
	if reason == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "reason", Description: "say why the provider declines"})
	}
	prov, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	caller := auth.FromContext(ctx)
	e, err := sqlstore.RetryConflicts(ctx, func() (*catalogv1.SourcingEvent, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_DeclineInvitation_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
				before, v, err := eventDocs.Get(ctx, tx, name.String())
				if apperr.KindOf(err) == apperr.NotFound {
					return nil, apperr.New(apperr.PermissionDenied, "%s is not invited to %s", prov, name)
				}
				if err != nil {
					return nil, err
				}
				if err := s.openForProposals(before, prov); err != nil {
					return nil, err
				}
				if declined(before, prov.String()) {
					return nil, apperr.New(apperr.FailedPrecondition, "%s already declined %s", prov, name)
				}
				switch _, _, err := proposalDocs.Get(ctx, tx, proposalName(name, prov).String()); {
				case err == nil:
					return nil, apperr.New(apperr.FailedPrecondition, "%s has submitted a proposal to %s; a provider that bid does not decline", prov, name)
				case apperr.KindOf(err) != apperr.NotFound:
					return nil, err
				}
				if err := bumpGuard(ctx, tx, name); err != nil {
					return nil, err
				}
				after := proto.CloneOf(before)
				after.DeclinedInvitations = append(after.DeclinedInvitations, &catalogv1.DeclinedInvitation{
					Provider: prov.String(), Reason: reason, DeclineTime: timestamppb.New(s.now()),
				})
				return after, s.writeEvent(ctx, tx, req.GetRequestId(), before, after, v)
			})
	})
	if err != nil {
		return nil, err
	}
	return eventFor(e, caller), nil
}

// ApproveInvitation implements catalogv1.CatalogServiceServer: an approver
// lets a provider whose standing is VERY_POOR be invited to a DRAFT or
// PUBLISHED event, with a reason.
func (s *Server) ApproveInvitation(ctx context.Context, req *catalogv1.ApproveInvitationRequest) (*catalogv1.SourcingEvent, error) {
	name, err := names.Parse[catalogv1.SourcingEventResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	prov, err := names.Parse[catalogv1.ProviderResourceName]("provider", req.GetProvider())
	if err != nil {
		return nil, err
	}
	reason := trimmed(req.GetReason())
	if reason == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "reason", Description: "say why the provider is invited despite its standing"})
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_ApproveInvitation_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
			before, v, err := eventDocs.Get(ctx, tx, name.String())
			if err != nil {
				return nil, err
			}
			switch before.GetState() {
			case catalogv1.SourcingEventState_SOURCING_EVENT_STATE_DRAFT, catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED:
			default:
				return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: invitations are approved only while it is DRAFT or PUBLISHED", name, protoenum.Short(before.GetState()))
			}
			p, _, err := providerDocs.Get(ctx, tx, prov.String())
			if err != nil {
				return nil, err
			}
			if p.GetStanding() != catalogv1.Standing_STANDING_VERY_POOR {
				return nil, apperr.New(apperr.FailedPrecondition, "the standing of %s is %s: only a VERY_POOR provider's invitation needs an approver", prov, protoenum.Short(p.GetStanding()))
			}
			if before.GetOwner() == auth.Subject(ctx) {
				return nil, apperr.New(apperr.PermissionDenied, "the owner of %s cannot approve its own invitations; another approver must", name)
			}
			if overridden(before, prov.String()) {
				return before, nil
			}
			after := proto.CloneOf(before)
			after.InvitationOverrides = append(after.InvitationOverrides, &catalogv1.InvitationOverride{
				Provider: prov.String(), Reason: reason, ApprovedBy: auth.Subject(ctx), ApproveTime: timestamppb.New(s.now()),
			})
			if after.Warnings, err = invitationWarnings(ctx, tx, after); err != nil {
				return nil, err
			}
			return after, s.writeEvent(ctx, tx, req.GetRequestId(), before, after, v)
		})
}

// eventFor is what the caller may see of an event.
func eventFor(e *catalogv1.SourcingEvent, caller *auth.Principal) *catalogv1.SourcingEvent {
	return selection.EventFor(e, viewerOf(caller))
}
