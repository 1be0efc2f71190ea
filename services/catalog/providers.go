package catalog

import (
	"context"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/provider"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
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
			p := clone(in)
			now := timestamp(s.now())
			// Output-only fields of the input are ignored (AIP-203).
			p.Name = "providers/" + newID()
			p.State = catalogv1.ProviderState_PROVIDER_STATE_ACTIVE
			p.StateReason, p.Standing = "", catalogv1.Standing_STANDING_UNSPECIFIED
			p.CreateTime, p.UpdateTime = now, now
			if err := docstore.Insert(ctx, tx, p.Name, p, provider.Facets(p)); err != nil {
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
	p := &catalogv1.Provider{}
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		_, err := docstore.Get(ctx, tx, req.GetName(), p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ListProviders implements catalogv1.CatalogServiceServer.
func (s *Server) ListProviders(ctx context.Context, req *catalogv1.ListProvidersRequest) (*catalogv1.ListProvidersResponse, error) {
	terms, err := listing.ParseFilter(req.GetFilter(), provider.FilterFields...)
	if err != nil {
		return nil, err
	}
	for i := range terms {
		terms[i].Value = provider.NormalizeValue(terms[i].Field, terms[i].Value)
	}
	q := docstore.Query{Kind: "providers", Terms: terms}
	if caller := auth.FromContext(ctx); caller.IsProviderOnly() {
		q.Name = caller.Provider
	}
	resp := &catalogv1.ListProvidersResponse{}
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		resp.Providers, resp.NextPageToken, err = docstore.Page(ctx, tx, q, req.GetPageSize(), req.GetPageToken(), req.GetFilter(),
			func() *catalogv1.Provider { return &catalogv1.Provider{} }, (*catalogv1.Provider).GetName)
		return err
	})
	if err != nil {
		return nil, err
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
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateProvider_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Provider, error) {
			before := &catalogv1.Provider{}
			v, err := docstore.GetCurrent(ctx, tx, in.GetName(), in.GetEtag(), before)
			if err != nil {
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
			if err := docstore.Update(ctx, tx, p.Name, p, v, provider.Facets(p)); err != nil {
				return nil, err
			}
			return p, audit.Record(ctx, tx, p.Name, req.GetRequestId(), before, p)
		})
}

// DeleteProvider implements catalogv1.CatalogServiceServer.
func (s *Server) DeleteProvider(ctx context.Context, req *catalogv1.DeleteProviderRequest) (*emptypb.Empty, error) {
	err := s.db.Write(ctx, func(tx *sqlstore.Tx) error {
		before := &catalogv1.Provider{}
		v, err := docstore.GetCurrent(ctx, tx, req.GetName(), req.GetEtag(), before)
		if err != nil {
			return err
		}
		if err := docstore.Delete(ctx, tx, req.GetName(), v); err != nil {
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
	return sqlstore.Idempotent(ctx, s.db, method, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Provider, error) {
			before := &catalogv1.Provider{}
			v, err := docstore.GetCurrent(ctx, tx, req.GetName(), req.GetEtag(), before)
			if err != nil {
				return nil, err
			}
			next, err := provider.Next(before.GetState(), action)
			if err != nil {
				return nil, err
			}
			p := clone(before)
			p.State, p.StateReason = next, trimmed(req.GetReason())
			p.UpdateTime = timestamp(s.now())
			if err := docstore.Update(ctx, tx, p.Name, p, v, provider.Facets(p)); err != nil {
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
