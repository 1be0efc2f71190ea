package monitoring

import (
	"context"

	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/audit"
)

// ListAuditEvents implements monitoringv1.MonitoringServiceServer.
func (s *Server) ListAuditEvents(ctx context.Context, req *monitoringv1.ListAuditEventsRequest) (*monitoringv1.ListAuditEventsResponse, error) {
	events, next, err := audit.List(ctx, s.db, req.GetFilter(), req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	return &monitoringv1.ListAuditEventsResponse{AuditEvents: events, NextPageToken: next}, nil
}

// VerifyAuditLog implements monitoringv1.MonitoringServiceServer.
func (s *Server) VerifyAuditLog(ctx context.Context, req *monitoringv1.VerifyAuditLogRequest) (*monitoringv1.VerifyAuditLogResponse, error) {
	v, err := audit.Verify(ctx, s.db, audit.CheckpointOf(req))
	if err != nil {
		return nil, err
	}
	return &monitoringv1.VerifyAuditLogResponse{Verification: v}, nil
}
