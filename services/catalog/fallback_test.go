package catalog_test

import (
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// The worked example of TestSelectWalkthrough (C 83.00 > B 81.25 > A
// 76.25 with location 10 / 7 / 4), but the client prefers nearshore, then
// onshore, then offshore, and the sourcing manager overrides Manila's
// location score to 6:
//
//	C (Chicago, onshore, 2nd):   83.00 − 5 × 10/10 + 5 × 7/10 = 81.50
//	B (Bogotá, nearshore, 1st):  81.25 − 5 × 7/10 + 5 × 10/10 = 82.75
//	A (Manila, overridden to 6): 76.25 − 5 × 4/10 + 5 × 6/10 = 77.25
//
// B wins; Bogotá withdraws before signing; the award passes to C with the
// same four eyes; everyone is told, none of others' prices.
func TestLocationPreferenceOverrideAndAwardFallback(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		_, err := e.client.UpdateEngagement(sm, &catalogv1.UpdateEngagementRequest{
			Engagement: &catalogv1.Engagement{Name: f.eng.GetName(), ShorePreference: []catalogv1.ShoreModel{
				catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, catalogv1.ShoreModel_SHORE_MODEL_ONSHORE, catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE,
			}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"shore_preference"}},
		})
		must(t, "shore preference", err)
		_, err = e.client.ReportProviderPerformance(e.as(t, auth.GovernanceManager), &catalogv1.ReportProviderPerformanceRequest{
			Name: f.bogota.name(), Score: periodScore("contracts/old", "2026-09", 70, 2026, 9, 30),
		})
		must(t, "report Bogota's earlier score", err)

		ev := e.publishedEvent(t, f.eng.GetName(), f.bidders()...)
		a := e.submit(t, ev.GetName(), f.manila, fixedPrice(f.manila, 10_000_000)).GetName()
		b := e.submit(t, ev.GetName(), f.bogota, fixedPrice(f.bogota, 12_000_000)).GetName()
		c := e.submit(t, ev.GetName(), f.chicago, fixedPrice(f.chicago, 15_000_000)).GetName()
		_, err = e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		must(t, "close", err)

		_, err = e.client.OverrideLocationScore(e.as(t, auth.Evaluator), &catalogv1.OverrideLocationScoreRequest{Name: a, Score: 6, Reason: "x"})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.OverrideLocationScore(sm, &catalogv1.OverrideLocationScoreRequest{Name: a, Score: 6, Reason: "  "})
		wantViolations(t, err, "reason")
		over, err := e.client.OverrideLocationScore(sm, &catalogv1.OverrideLocationScoreRequest{Name: a, Score: 6, Reason: "the Manila site runs a New York night shift"})
		must(t, "override", err)
		if o := over.GetLocationOverride(); o.GetScore() != 6 || o.GetOverriddenBy() != "sourcing_manager" {
			t.Fatalf("override %v", o)
		}

		for _, s := range []struct {
			evaluator, proposal     string
			exp, tech, comm, sc, se int32
		}{
			{"eva", a, 6, 7, 5, 8, 7}, {"eva", b, 8, 8, 9, 7, 8}, {"eva", c, 9, 9, 10, 8, 9},
			{"ed", a, 8, 7, 6, 8, 6}, {"ed", b, 9, 7, 8, 7, 9}, {"ed", c, 9, 8, 9, 9, 9},
		} {
			must(t, "score", e.score(t, s.evaluator, s.proposal, s.exp, s.tech, s.comm, s.sc, s.se))
		}
		r, err := e.client.GetRanking(sm, &catalogv1.GetRankingRequest{Name: rankingOf(t, ev.GetName())})
		must(t, "ranking", err)
		type row struct{ proposal, total, location, evidence string }
		var got []row
		for _, p := range r.GetProposals() {
			var loc string
			for _, cr := range p.GetCriteria() {
				if cr.GetCriterion() == catalogv1.Criterion_CRITERION_LOCATION {
					loc = cr.GetScore()
				}
			}
			got = append(got, row{p.GetProposal(), p.GetTotal(), loc, p.GetExpertiseEvidence()})
		}
		want := []row{
			{b, "82.75", "10.00", "AVERAGE: average 70.00 over 1 period(s)"},
			{c, "81.50", "7.00", "no performance on record: no period score reported yet"},
			{a, "77.25", "6.00", "no performance on record: no period score reported yet"},
		}
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("ranking\n got %v\nwant %v", got, want)
		}

		_, err = e.client.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: ev.GetName(), Proposal: b})
		must(t, "award B", err)
		_, err = e.client.ApproveAward(e.as(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: ev.GetName()})
		must(t, "approve B", err)

		_, err = e.client.WithdrawAward(e.as(t, auth.Approver), &catalogv1.WithdrawAwardRequest{Name: ev.GetName(), Reason: "x"})
		wantCode(t, err, codes.PermissionDenied)
		back, err := e.client.WithdrawAward(sm, &catalogv1.WithdrawAwardRequest{Name: ev.GetName(), Reason: "Bogota BPO lost its Bogotá site lease", RequestId: "withdraw-1"})
		must(t, "withdraw", err)
		if back.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED || back.GetAward() != nil ||
			len(back.GetWithdrawnAwards()) != 1 || back.GetWithdrawnAwards()[0].GetProposal() != b || back.GetWithdrawnAwards()[0].GetWithdrawReason() == "" {
			t.Fatalf("after the withdrawal %v", back)
		}
		_, err = e.client.WithdrawAward(sm, &catalogv1.WithdrawAwardRequest{Name: ev.GetName(), Reason: "again"})
		wantStatus(t, err, codes.FailedPrecondition, "EVALUATED")
		eng, err := e.client.GetEngagement(sm, &catalogv1.GetEngagementRequest{Name: f.eng.GetName()})
		if err != nil || eng.GetAward() != nil {
			t.Fatalf("engagement award after the withdrawal %v (%v)", eng.GetAward(), err)
		}
		// C is now the top-ranked: no justification needed; four eyes again.
		r, err = e.client.GetRanking(sm, &catalogv1.GetRankingRequest{Name: rankingOf(t, ev.GetName())})
		if err != nil || len(r.GetProposals()) != 2 || r.GetProposals()[0].GetProposal() != c {
			t.Fatalf("ranking after the withdrawal %v (%v)", r.GetProposals(), err)
		}
		_, err = e.client.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: ev.GetName(), Proposal: c})
		must(t, "award C", err)
		_, err = e.client.ApproveAward(e.asUser(t, "sourcing_manager", auth.Approver, auth.SourcingManager), &catalogv1.ApproveAwardRequest{Name: ev.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.ApproveAward(e.as(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: ev.GetName()})
		must(t, "approve C", err)
		eng, err = e.client.GetEngagement(sm, &catalogv1.GetEngagementRequest{Name: f.eng.GetName()})
		if err != nil || eng.GetAward().GetProposal() != c || eng.GetAward().GetTotalScore() != "81.50" {
			t.Fatalf("engagement award %v (%v), want C at 81.50", eng.GetAward(), err)
		}
		for name, want := range map[string]catalogv1.ProposalState{
			a: catalogv1.ProposalState_PROPOSAL_STATE_NOT_SELECTED,
			b: catalogv1.ProposalState_PROPOSAL_STATE_WITHDRAWN,
			c: catalogv1.ProposalState_PROPOSAL_STATE_AWARDED,
		} {
			p, err := e.client.GetProposal(sm, &catalogv1.GetProposalRequest{Name: name})
			if err != nil || p.GetState() != want {
				t.Errorf("%s is %v (%v), want %v", name, p.GetState(), err, want)
			}
		}
		// Chicago was told first that it was not selected, then that it won.
		notes, err := e.client.ListNotifications(f.chicago.ctx, &catalogv1.ListNotificationsRequest{Parent: f.chicago.name()})
		must(t, "Chicago's notifications", err)
		var kinds []catalogv1.NotificationKind
		for _, n := range notes.GetNotifications() {
			kinds = append(kinds, n.GetKind())
		}
		if len(kinds) != 2 || kinds[0] != catalogv1.NotificationKind_NOTIFICATION_KIND_NOT_SELECTED || kinds[1] != catalogv1.NotificationKind_NOTIFICATION_KIND_AWARDED {
			t.Errorf("Chicago's notifications %v, want NOT_SELECTED then AWARDED", kinds)
		}
	})
}
