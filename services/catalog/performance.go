package catalog

// A provider's performance, as monitoring reports it, and its standing.
// spec: catalog.md §3 "Provider"; monitoring.md "Scorecards and reviews".

import (
	"context"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/provider"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// performancePolicy: monitoring reports a closed period's score while a
// governance manager closes the period; like every service-to-service call
// here (transition → contract's RecordServiceCommencement), it forwards
// that caller's token (kit/downstream), so the role monitoring acts with is
// the one allowed. No other role — not a sourcing manager, not the
// provider — may write a provider's performance (admins may, as always).
var performancePolicy = auth.Policy{
	catalogv1.CatalogService_ReportProviderPerformance_FullMethodName: {auth.GovernanceManager},
}

// ReportProviderPerformance implements catalogv1.CatalogServiceServer: it
// records a closed period's score (a restated period replaces that
// contract and period's score; the same report again changes nothing) and
// derives the standing from the newest 12 scores.
func (s *Server) ReportProviderPerformance(ctx context.Context, req *catalogv1.ReportProviderPerformanceRequest) (*catalogv1.Provider, error) {
	name, err := names.Parse[catalogv1.ProviderResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if err := provider.CheckScore(req.GetScore(), "score"); err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.Provider, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_ReportProviderPerformance_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.Provider, error) {
				before, v, err := providerDocs.Get(ctx, tx, name.String())
				if err != nil {
					return nil, err
				}
				score := proto.CloneOf(req.GetScore())
				now := timestamppb.New(s.now())
				score.ReportTime = now
				perf, changed := provider.RecordScore(before.GetPerformance(), score)
				if !changed {
					return before, nil
				}
				p := proto.CloneOf(before)
				p.Performance = perf
				p.Standing = provider.Standing(perf)
				p.UpdateTime = now
				if err := providerDocs.Update(ctx, tx, p.GetName(), p, v); err != nil {
					if apperr.KindOf(err) == apperr.Aborted {
						// Two reports for one provider at once: the later retries.
						return nil, sqlstore.Conflict("%s was changed at the same time; retry", p.GetName())
					}
					return nil, err
				}
				return p, audit.Record(ctx, tx, p.GetName(), req.GetRequestId(), before, p)
			})
	})
}
