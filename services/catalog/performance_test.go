package catalog_test

import (
	"slices"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
)

func periodScore(contract, period string, score int32, y, m, d int32) *catalogv1.PeriodScore {
	return &catalogv1.PeriodScore{Contract: contract, Period: period, Score: score, PeriodEnd: &date.Date{Year: y, Month: m, Day: d}}
}

// ReportProviderPerformance is monitoring's: it forwards the governance
// manager's token that closes a period. Scores: 40 (Oct), 20 (Nov) →
// average 30 → POOR; Nov restated as 10 → (40 + 10) / 2 = 25 → VERY_POOR;
// a second contract's 85 (Nov) → (40 + 10 + 85) / 3 = 45 → POOR.
func TestReportProviderPerformance(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		p := e.create(t, newProvider("Scored"))
		gm := e.as(t, auth.GovernanceManager)
		report := func(s *catalogv1.PeriodScore, requestID string) *catalogv1.Provider {
			t.Helper()
			got, err := e.client.ReportProviderPerformance(gm, &catalogv1.ReportProviderPerformanceRequest{Name: p.GetName(), Score: s, RequestId: requestID})
			if err != nil {
				t.Fatalf("ReportProviderPerformance(%v): %v", s, err)
			}
			return got
		}
		// Nobody but monitoring's role (and admins) may write performance.
		for _, role := range []auth.Role{auth.SourcingManager, auth.Approver, auth.Auditor, auth.ContractManager} {
			_, err := e.client.ReportProviderPerformance(e.as(t, role), &catalogv1.ReportProviderPerformanceRequest{Name: p.GetName(), Score: periodScore("contracts/c1", "2026-10", 99, 2026, 10, 31)})
			wantCode(t, err, codes.PermissionDenied)
		}
		_, err := e.client.ReportProviderPerformance(e.asProvider(t, p.GetName()), &catalogv1.ReportProviderPerformanceRequest{Name: p.GetName(), Score: periodScore("contracts/c1", "2026-10", 99, 2026, 10, 31)})
		wantCode(t, err, codes.PermissionDenied)

		_, err = e.client.ReportProviderPerformance(gm, &catalogv1.ReportProviderPerformanceRequest{Name: p.GetName(), Score: &catalogv1.PeriodScore{Contract: "contracts/c1", Period: "Oct", Score: 50}})
		wantViolations(t, err, "score.period", "score.period_end")
		_, err = e.client.ReportProviderPerformance(gm, &catalogv1.ReportProviderPerformanceRequest{Name: "providers/nope", Score: periodScore("contracts/c1", "2026-10", 40, 2026, 10, 31)})
		wantCode(t, err, codes.NotFound)

		report(periodScore("contracts/c1", "2026-10", 40, 2026, 10, 31), "oct")
		got := report(periodScore("contracts/c1", "2026-11", 20, 2026, 11, 30), "nov")
		if got.GetStanding() != catalogv1.Standing_STANDING_POOR {
			t.Fatalf("standing after 40, 20 = %v, want POOR (30)", got.GetStanding())
		}
		// A retry of "nov" with another body still answers the first result.
		retry := report(periodScore("contracts/c1", "2026-11", 20, 2026, 11, 30), "nov")
		if len(retry.GetPerformance()) != 2 {
			t.Fatalf("retry: %d scores", len(retry.GetPerformance()))
		}
		got = report(periodScore("contracts/c1", "2026-11", 10, 2026, 11, 30), "nov-restated")
		if got.GetStanding() != catalogv1.Standing_STANDING_VERY_POOR || len(got.GetPerformance()) != 2 {
			t.Fatalf("after restating Nov as 10: %v with %d scores, want VERY_POOR (25) with 2", got.GetStanding(), len(got.GetPerformance()))
		}
		got = report(periodScore("contracts/c2", "2026-11", 85, 2026, 11, 30), "")
		if got.GetStanding() != catalogv1.Standing_STANDING_POOR {
			t.Fatalf("after c2's 85: %v, want POOR (45)", got.GetStanding())
		}
		var periods []string
		for _, s := range got.GetPerformance() {
			periods = append(periods, s.GetContract()+" "+s.GetPeriod())
			if s.GetReportTime() == nil {
				t.Errorf("%s %s has no report time", s.GetContract(), s.GetPeriod())
			}
		}
		// Newest first; of one period end, by contract.
		if want := []string{"contracts/c1 2026-11", "contracts/c2 2026-11", "contracts/c1 2026-10"}; !slices.Equal(periods, want) {
			t.Errorf("performance %v, want %v", periods, want)
		}
		// The same report again changes nothing and writes no audit record.
		report(periodScore("contracts/c2", "2026-11", 85, 2026, 11, 30), "")

		// Visible on the provider, to its own user too.
		own, err := e.client.GetProvider(e.asProvider(t, p.GetName()), &catalogv1.GetProviderRequest{Name: p.GetName()})
		if err != nil || own.GetStanding() != catalogv1.Standing_STANDING_POOR || len(own.GetPerformance()) != 3 {
			t.Fatalf("GetProvider as its user: %v standing %v", err, own.GetStanding())
		}

		// Audited: oct, nov, nov-restated, c2 — four records, by the
		// governance manager.
		resp, err := e.client.ListAuditEvents(e.as(t, auth.Auditor), &catalogv1.ListAuditEventsRequest{Filter: `method = "` + catalogv1.CatalogService_ReportProviderPerformance_FullMethodName + `"`})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(resp.GetAuditEvents()); n != 4 {
			t.Fatalf("%d audit records, want 4", n)
		}
		for _, ev := range resp.GetAuditEvents() {
			if ev.GetSubject() != "governance_manager" || ev.GetResource() != p.GetName() {
				t.Errorf("audit record by %s on %s", ev.GetSubject(), ev.GetResource())
			}
		}
	})
}
