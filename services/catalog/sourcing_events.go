package catalog

// Sourcing events: create, read, list. spec: catalog.md §3 "Sourcing event".

import (
	"context"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// CreateSourcingEvent implements catalogv1.CatalogServiceServer: a DRAFT
// event for an engagement, with the spec's criteria unless others are
// given, compared over the scope's term unless another is given.
func (s *Server) CreateSourcingEvent(ctx context.Context, req *catalogv1.CreateSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	in := proto.CloneOf(req.GetSourcingEvent())
	fieldmask.ClearOutputOnly(in)
	eng, err := names.Parse[catalogv1.EngagementResourceName]("sourcing_event.engagement", in.GetEngagement())
	if err != nil {
		return nil, err
	}
	draft, err := selection.ValidateNew(in, s.now(), "sourcing_event")
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CreateSourcingEvent_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
			if _, _, err := engagementDocs.Get(ctx, tx, eng.String()); err != nil {
				return nil, err
			}
			if err := checkInvited(ctx, tx, draft.GetInvitedProviders()); err != nil {
				return nil, err
			}
			e := proto.CloneOf(draft)
			if e.ContractTermMonths == 0 {
				term, err := scopeTerm(ctx, tx, eng)
				if err != nil {
					return nil, err
				}
				e.ContractTermMonths = term
			}
			name := catalogv1.SourcingEventResourceName{SourcingEvent: names.NewID()}
			now := timestamppb.New(s.now())
			e.Name = name.String()
			e.State = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_DRAFT
			e.Owner = auth.Subject(ctx)
			e.CreateTime, e.UpdateTime = now, now
			if e.Warnings, err = invitationWarnings(ctx, tx, e); err != nil {
				return nil, err
			}
			if err := eventDocs.Insert(ctx, tx, e.Name, e); err != nil {
				return nil, err
			}
			if err := newGuard(ctx, tx, name); err != nil {
				return nil, err
			}
			return e, audit.Record(ctx, tx, e.Name, req.GetRequestId(), nil, e)
		})
}

// scopeTerm is the term of the engagement's scope as it now is, or the
// default when it has none yet or names none.
func scopeTerm(ctx context.Context, tx *sqlstore.Tx, eng catalogv1.EngagementResourceName) (int32, error) {
	sc, _, err := scopeDocs.Get(ctx, tx, eng.ScopeResourceName().String())
	switch {
	case apperr.KindOf(err) == apperr.NotFound:
	case err != nil:
		return 0, err
	case sc.GetCommercial().GetTermMonths() > 0:
		return sc.GetCommercial().GetTermMonths(), nil
	}
	return selection.DefaultTermMonths, nil
}

// checkInvited answers NOT_FOUND naming the invited providers that do not
// exist, else FAILED_PRECONDITION naming those that are not ACTIVE.
// spec: catalog.md §3 "Sourcing event": invited providers must be ACTIVE.
func checkInvited(ctx context.Context, tx *sqlstore.Tx, providers []string) error {
	var missing, inactive []string
	for _, name := range providers {
		p, _, err := providerDocs.Get(ctx, tx, name)
		switch {
		case apperr.KindOf(err) == apperr.NotFound:
			missing = append(missing, name)
		case err != nil:
			return err
		case p.GetState() != catalogv1.ProviderState_PROVIDER_STATE_ACTIVE:
			inactive = append(inactive, name+" ("+protoenum.Short(p.GetState())+")")
		}
	}
	if len(missing) > 0 {
		return apperr.New(apperr.NotFound, "invited providers do not exist: %s", strings.Join(missing, ", "))
	}
	if len(inactive) > 0 {
		return apperr.New(apperr.FailedPrecondition, "only ACTIVE providers can be invited; not active: %s", strings.Join(inactive, ", "))
	}
	return nil
}

// GetSourcingEvent implements catalogv1.CatalogServiceServer.
func (s *Server) GetSourcingEvent(ctx context.Context, req *catalogv1.GetSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	name, err := names.Parse[catalogv1.SourcingEventResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	caller := auth.FromContext(ctx)
	if err := s.closeIfDue(ctx, name); err != nil {
		return nil, err
	}
	e, err := sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
		return visibleEvent(ctx, tx, caller, name)
	})
	if err != nil {
		return nil, err
	}
	return selection.EventFor(e, viewerOf(caller)), nil
}

// ListSourcingEvents implements catalogv1.CatalogServiceServer. A provider
// user lists the published events it is invited to.
func (s *Server) ListSourcingEvents(ctx context.Context, req *catalogv1.ListSourcingEventsRequest) (*catalogv1.ListSourcingEventsResponse, error) {
	caller := auth.FromContext(ctx)
	var q docstore.Query
	if caller.IsProviderOnly() {
		q.Terms = []listing.Term{
			{Field: "invited_provider", Op: listing.Equal, Value: caller.Provider},
			{Field: "published", Op: listing.Equal, Value: "true"},
		}
	}
	resp := &catalogv1.ListSourcingEventsResponse{}
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		var err error
		resp.SourcingEvents, resp.NextPageToken, err = eventDocs.Page(ctx, tx, req, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, e := range resp.SourcingEvents {
		if e.GetState() == catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED && !s.now().Before(e.GetProposalDeadline().AsTime()) {
			// Due: closed by the clock now, and listed as it is afterwards.
			name, err := storedName[catalogv1.SourcingEventResourceName](e.GetName())
			if err != nil {
				return nil, err
			}
			if err := s.closeIfDue(ctx, name); err != nil {
				return nil, err
			}
			if e, err = sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
				e, _, err := eventDocs.Get(ctx, tx, name.String())
				return e, err
			}); err != nil {
				return nil, err
			}
		}
		resp.SourcingEvents[i] = selection.EventFor(e, viewerOf(caller))
	}
	return resp, nil
}
