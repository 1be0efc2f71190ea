package transition

import (
	"context"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/audit"
)

// ListAuditEvents implements transitionv1.TransitionServiceServer.
func (s *Server) ListAuditEvents(ctx context.Context, req *transitionv1.ListAuditEventsRequest) (*transitionv1.ListAuditEventsResponse, error) {
	events, next, err := audit.List(ctx, s.db, req.GetFilter(), req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	return &transitionv1.ListAuditEventsResponse{AuditEvents: events, NextPageToken: next}, nil
}

// VerifyAuditLog implements transitionv1.TransitionServiceServer.
func (s *Server) VerifyAuditLog(ctx context.Context, req *transitionv1.VerifyAuditLogRequest) (*transitionv1.VerifyAuditLogResponse, error) {
	v, err := audit.Verify(ctx, s.db, audit.CheckpointOf(req))
	if err != nil {
		return nil, err
	}
	return &transitionv1.VerifyAuditLogResponse{Verification: v}, nil
}
