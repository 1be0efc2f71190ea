package catalog

import (
	"context"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
)

var auditPolicy = auth.Policy{
	catalogv1.CatalogService_ListAuditEvents_FullMethodName: {auth.Auditor},
	catalogv1.CatalogService_VerifyAuditLog_FullMethodName:  {auth.Auditor},
}

// ListAuditEvents implements catalogv1.CatalogServiceServer.
func (s *Server) ListAuditEvents(ctx context.Context, req *catalogv1.ListAuditEventsRequest) (*catalogv1.ListAuditEventsResponse, error) {
	events, next, err := audit.List(ctx, s.db, req.GetFilter(), req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	return &catalogv1.ListAuditEventsResponse{AuditEvents: events, NextPageToken: next}, nil
}

// VerifyAuditLog implements catalogv1.CatalogServiceServer.
func (s *Server) VerifyAuditLog(ctx context.Context, req *catalogv1.VerifyAuditLogRequest) (*catalogv1.VerifyAuditLogResponse, error) {
	v, err := audit.Verify(ctx, s.db, audit.CheckpointOf(req))
	if err != nil {
		return nil, err
	}
	return &catalogv1.VerifyAuditLogResponse{Verification: v}, nil
}
