package catalog

import (
	"context"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/provider"
	"github.com/acme/bpo/services/catalog/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// CreateProvider implements catalogv1.CatalogServiceServer.
func (s *Server) CreateProvider(ctx context.Context, req *catalogv1.CreateProviderRequest) (*catalogv1.Provider, error) {
	in := req.GetProvider()
	if err := provider.ValidateNew(in, "provider"); err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CreateProvider_FullMethodName, req.GetRequestId(), subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Provider, error) {
			p := clone(in)
			now := timestamp(s.now())
			// Output-only fields of the input are ignored (AIP-203).
			p.Name = "providers/" + newID()
			p.State = catalogv1.ProviderState_PROVIDER_STATE_ACTIVE
			p.StateReason, p.Standing = "", catalogv1.Standing_STANDING_UNSPECIFIED
			p.CreateTime, p.UpdateTime = now, now
			if err := store.InsertProvider(ctx, tx, p); err != nil {
				return nil, err
			}
			return p, audit.Record(ctx, tx, p.Name, req.GetRequestId(), nil, p)
		})
}

// GetProvider implements catalogv1.CatalogServiceServer.
func (s *Server) GetProvider(ctx context.Context, req *catalogv1.GetProviderRequest) (*catalogv1.Provider, error) {
	if err := ownProviderOnly(auth.FromContext(ctx), req.GetName()); err != nil {
		return nil, err
	}
	var p *catalogv1.Provider
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		var err error
		p, _, err = store.GetProvider(ctx, tx, req.GetName())
		return err
	})
	return p, err
}

// ListProviders implements catalogv1.CatalogServiceServer.
func (s *Server) ListProviders(ctx context.Context, req *catalogv1.ListProvidersRequest) (*catalogv1.ListProvidersResponse, error) {
	terms, err := listing.ParseFilter(req.GetFilter(), provider.FilterFields...)
	if err != nil {
		return nil, err
	}
	after, err := listing.DecodePageToken(req.GetPageToken(), req.GetFilter())
	if err != nil {
		return nil, err
	}
	limit := listing.PageSize(req.GetPageSize())
	q := store.ProviderQuery{Terms: terms, After: after, Limit: limit + 1}
	if caller := auth.FromContext(ctx); caller.IsProviderOnly() {
		q.OnlyID = strings.TrimPrefix(caller.Provider, "providers/")
	}
	var page []*catalogv1.Provider
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		page, err = store.ListProviders(ctx, tx, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	resp := &catalogv1.ListProvidersResponse{Providers: page}
	if len(page) > limit {
		resp.Providers = page[:limit]
		last := strings.TrimPrefix(page[limit-1].GetName(), "providers/")
		resp.NextPageToken = listing.EncodePageToken(last, req.GetFilter())
	}
	return resp, nil
}

// UpdateProvider implements catalogv1.CatalogServiceServer.
func (s *Server) UpdateProvider(ctx context.Context, req *catalogv1.UpdateProviderRequest) (*catalogv1.Provider, error) {
	in := req.GetProvider()
	caller := auth.FromContext(ctx)
	if err := ownProviderOnly(caller, in.GetName()); err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateProvider_FullMethodName, req.GetRequestId(), subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Provider, error) {
			before, v, err := store.GetProvider(ctx, tx, in.GetName())
			if err != nil {
				return nil, err
			}
			if err := sqlstore.CheckETag(in.GetName(), in.GetEtag(), before.GetEtag()); err != nil {
				return nil, err
			}
			p := clone(before)
			if err := provider.ApplyMask(p, in, req.GetUpdateMask().GetPaths(), caller.IsProviderOnly()); err != nil {
				return nil, err
			}
			if err := provider.Validate(p, "provider"); err != nil {
				return nil, err
			}
			p.UpdateTime = timestamp(s.now())
			if err := store.UpdateProvider(ctx, tx, p, v); err != nil {
				return nil, err
			}
			return p, audit.Record(ctx, tx, p.Name, req.GetRequestId(), before, p)
		})
}

// DeleteProvider implements catalogv1.CatalogServiceServer.
func (s *Server) DeleteProvider(ctx context.Context, req *catalogv1.DeleteProviderRequest) (*emptypb.Empty, error) {
	err := s.db.Write(ctx, func(tx *sqlstore.Tx) error {
		before, v, err := store.GetProvider(ctx, tx, req.GetName())
		if err != nil {
			return err
		}
		if err := sqlstore.CheckETag(req.GetName(), req.GetEtag(), before.GetEtag()); err != nil {
			return err
		}
		if err := store.DeleteProvider(ctx, tx, req.GetName(), v); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.GetName(), "", before, nil)
	})
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// stateChange is what the three state-changing requests share.
type stateChange interface {
	proto.Message
	GetName() string
	GetReason() string
	GetEtag() string
	GetRequestId() string
}

func (s *Server) changeState(ctx context.Context, method string, req stateChange, action provider.Action) (*catalogv1.Provider, error) {
	return sqlstore.Idempotent(ctx, s.db, method, req.GetRequestId(), subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Provider, error) {
			before, v, err := store.GetProvider(ctx, tx, req.GetName())
			if err != nil {
				return nil, err
			}
			if err := sqlstore.CheckETag(req.GetName(), req.GetEtag(), before.GetEtag()); err != nil {
				return nil, err
			}
			next, err := provider.Next(before.GetState(), action)
			if err != nil {
				return nil, err
			}
			p := clone(before)
			p.State, p.StateReason = next, trimmed(req.GetReason())
			p.UpdateTime = timestamp(s.now())
			if err := store.UpdateProvider(ctx, tx, p, v); err != nil {
				return nil, err
			}
			return p, audit.Record(ctx, tx, p.Name, req.GetRequestId(), before, p)
		})
}

// SuspendProvider implements catalogv1.CatalogServiceServer.
func (s *Server) SuspendProvider(ctx context.Context, req *catalogv1.SuspendProviderRequest) (*catalogv1.Provider, error) {
	return s.changeState(ctx, catalogv1.CatalogService_SuspendProvider_FullMethodName, req, provider.Suspend)
}

// BlockProvider implements catalogv1.CatalogServiceServer.
func (s *Server) BlockProvider(ctx context.Context, req *catalogv1.BlockProviderRequest) (*catalogv1.Provider, error) {
	return s.changeState(ctx, catalogv1.CatalogService_BlockProvider_FullMethodName, req, provider.Block)
}

// ActivateProvider implements catalogv1.CatalogServiceServer.
func (s *Server) ActivateProvider(ctx context.Context, req *catalogv1.ActivateProviderRequest) (*catalogv1.Provider, error) {
	return s.changeState(ctx, catalogv1.CatalogService_ActivateProvider_FullMethodName, req, provider.Activate)
}
