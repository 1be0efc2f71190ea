package contract

import (
	"context"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/audit"
)

// ListAuditEvents implements contractv1.ContractServiceServer.
func (s *Server) ListAuditEvents(ctx context.Context, req *contractv1.ListAuditEventsRequest) (*contractv1.ListAuditEventsResponse, error) {
	events, next, err := audit.List(ctx, s.db, req.GetFilter(), req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	return &contractv1.ListAuditEventsResponse{AuditEvents: events, NextPageToken: next}, nil
}

// VerifyAuditLog implements contractv1.ContractServiceServer.
func (s *Server) VerifyAuditLog(ctx context.Context, req *contractv1.VerifyAuditLogRequest) (*contractv1.VerifyAuditLogResponse, error) {
	v, err := audit.Verify(ctx, s.db, audit.CheckpointOf(req))
	if err != nil {
		return nil, err
	}
	return &contractv1.VerifyAuditLogResponse{Verification: v}, nil
}
