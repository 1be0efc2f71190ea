package catalog

import (
	"context"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/provider"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var providerPolicy = auth.Policy{
	catalogv1.CatalogService_CreateProvider_FullMethodName:   {auth.SourcingManager},
	catalogv1.CatalogService_GetProvider_FullMethodName:      auth.Readers,
	catalogv1.CatalogService_ListProviders_FullMethodName:    auth.Readers,
	catalogv1.CatalogService_UpdateProvider_FullMethodName:   {auth.SourcingManager, auth.ProviderUser},
	catalogv1.CatalogService_DeleteProvider_FullMethodName:   {auth.SourcingManager},
	catalogv1.CatalogService_SuspendProvider_FullMethodName:  {auth.SourcingManager},
	catalogv1.CatalogService_BlockProvider_FullMethodName:    {auth.SourcingManager},
	catalogv1.CatalogService_ActivateProvider_FullMethodName: {},
}

// CreateProvider implements catalogv1.CatalogServiceServer.
func (s *Server) CreateProvider(ctx context.Context, req *catalogv1.CreateProviderRequest) (*catalogv1.Provider, error) {
	in := req.GetProvider()
	if err := provider.ValidateNew(in, "provider"); err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CreateProvider_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Provider, error) {
			p := proto.CloneOf(in)
			fieldmask.ClearOutputOnly(p)
			now := timestamppb.New(s.now())
			p.Name = catalogv1.ProviderResourceName{Provider: names.NewID()}.String()
			p.State = catalogv1.ProviderState_PROVIDER_STATE_ACTIVE
			p.CreateTime, p.UpdateTime = now, now
			if err := providerDocs.Insert(ctx, tx, p.Name, p); err != nil {
				return nil, err
			}
			return p, audit.Record(ctx, tx, p.Name, req.GetRequestId(), nil, p)
		})
}

// GetProvider implements catalogv1.CatalogServiceServer.
func (s *Server) GetProvider(ctx context.Context, req *catalogv1.GetProviderRequest) (*catalogv1.Provider, error) {
	name, err := names.Parse[catalogv1.ProviderResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if err := ownProviderOnly(auth.FromContext(ctx), name.String()); err != nil {
		return nil, err
	}
	// One SELECT: a snapshot by itself, no transaction needed around it.
	return sqlstore.QueryOne(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.Provider, error) {
		p, _, err := providerDocs.Get(ctx, tx, name.String())
		return p, err
	})
}

// ListProviders implements catalogv1.CatalogServiceServer. A provider user
// sees its own provider only.
func (s *Server) ListProviders(ctx context.Context, req *catalogv1.ListProvidersRequest) (*catalogv1.ListProvidersResponse, error) {
	if req.GetShoreModel() != catalogv1.ShoreModel_SHORE_MODEL_UNSPECIFIED {
		return s.listProvidersByShore(ctx, req)
	}
	if req.GetClientCountry() != "" || req.GetClientTimeZone() != "" || req.GetShoreDate() != nil {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "shore_model", Description: "client_country, client_time_zone and shore_date say where shore_model is measured from; name the shore model too"})
	}
	var q docstore.Query
	if caller := auth.FromContext(ctx); caller.IsProviderOnly() {
		q.Name = caller.Provider
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.ListProvidersResponse, error) {
		page, next, err := providerDocs.Page(ctx, tx, req, q)
		return &catalogv1.ListProvidersResponse{Providers: page, NextPageToken: next}, err
	})
}

// UpdateProvider implements catalogv1.CatalogServiceServer.
func (s *Server) UpdateProvider(ctx context.Context, req *catalogv1.UpdateProviderRequest) (*catalogv1.Provider, error) {
	in := req.GetProvider()
	name, err := names.Parse[catalogv1.ProviderResourceName]("provider.name", in.GetName())
	if err != nil {
		return nil, err
	}
	caller := auth.FromContext(ctx)
	if err := ownProviderOnly(caller, name.String()); err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateProvider_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Provider, error) {
			before, v, err := providerDocs.GetForChange(ctx, tx, name.String(), in.GetEtag())
			if err != nil {
				return nil, err
			}
			p := proto.CloneOf(before)
			if err := provider.ApplyMask(p, in, req.GetUpdateMask().GetPaths(), caller.IsProviderOnly()); err != nil {
				return nil, err
			}
			if err := provider.Validate(p, "provider"); err != nil {
				return nil, err
			}
			p.UpdateTime = timestamppb.New(s.now())
			if err := providerDocs.Update(ctx, tx, p.Name, p, v); err != nil {
				return nil, err
			}
			return p, audit.Record(ctx, tx, p.Name, req.GetRequestId(), before, p)
		})
}

// DeleteProvider implements catalogv1.CatalogServiceServer.
func (s *Server) DeleteProvider(ctx context.Context, req *catalogv1.DeleteProviderRequest) (*emptypb.Empty, error) {
	name, err := names.Parse[catalogv1.ProviderResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	err = s.db.Write(ctx, func(tx *sqlstore.Tx) error {
		before, v, err := providerDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
		if err != nil {
			return err
		}
		if err := providerDocs.Delete(ctx, tx, name.String(), v); err != nil {
			return err
		}
		return audit.Record(ctx, tx, name.String(), "", before, nil)
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
	name, err := names.Parse[catalogv1.ProviderResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, method, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Provider, error) {
			before, v, err := providerDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
			if err != nil {
				return nil, err
			}
			next, err := provider.Next(before.GetState(), action)
			if err != nil {
				return nil, err
			}
			p := proto.CloneOf(before)
			p.State, p.StateReason = next, trimmed(req.GetReason())
			p.UpdateTime = timestamppb.New(s.now())
			if err := providerDocs.Update(ctx, tx, p.Name, p, v); err != nil {
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
