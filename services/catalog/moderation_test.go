package catalog_test

import (
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// expertiseOf returns a proposal's expertise entry in the ranking.
func expertiseOf(t *testing.T, r *catalogv1.Ranking, proposal string) *catalogv1.RankedCriterion {
	t.Helper()
	for _, rp := range r.GetProposals() {
		for _, c := range rp.GetCriteria() {
			if rp.GetProposal() == proposal && c.GetCriterion() == catalogv1.Criterion_CRITERION_EXPERTISE {
				return c
			}
		}
	}
	t.Fatalf("no expertise of %s in %v", proposal, r)
	return nil
}

// TestConfirmModeration: a flagged event stuck in CLOSED becomes EVALUATED
// once a sourcing manager confirms the flagged scores; a revision that
// changes the spread ends the confirmation. spec: catalog.md §3
// "Evaluation" step 2.
func TestConfirmModeration(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		sam := e.asUser(t, "sam", auth.SourcingManager)
		ev := e.publishedEvent(t, f.eng.GetName(), f.manila, f.bogota)
		pa := e.submit(t, ev.GetName(), f.manila, fixedPrice(f.manila, 10_000_000))
		pb := e.submit(t, ev.GetName(), f.bogota, fixedPrice(f.bogota, 12_000_000))
		expertise := []catalogv1.Criterion{catalogv1.Criterion_CRITERION_EXPERTISE}

		// Not while the event is PUBLISHED: the bids are sealed.
		_, err := e.client.ConfirmModeration(sam, &catalogv1.ConfirmModerationRequest{Name: pa.GetName(), Criteria: expertise, Comment: "fine"})
		wantStatus(t, err, codes.FailedPrecondition, "is PUBLISHED", "only while the event is CLOSED")
		_, err = e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		must(t, "close", err)

		// eva 2 and ed 7 on A's expertise: flagged. B is not scored yet.
		must(t, "score", e.score(t, "eva", pa.GetName(), 2, 7, 7, 7, 7))
		must(t, "score", e.score(t, "ed", pa.GetName(), 7, 5, 7, 7, 7))

		// Only a sourcing manager moderates (admins always pass).
		for _, role := range []auth.Role{auth.Evaluator, auth.Approver, auth.ProcessOwner} {
			_, err = e.client.ConfirmModeration(e.asUser(t, "eva", role), &catalogv1.ConfirmModerationRequest{Name: pa.GetName(), Criteria: expertise, Comment: "fine"})
			wantCode(t, err, codes.PermissionDenied)
		}
		_, err = e.client.ConfirmModeration(f.manila.ctx, &catalogv1.ConfirmModerationRequest{Name: pa.GetName(), Criteria: expertise, Comment: "fine"})
		wantCode(t, err, codes.PermissionDenied)

		// Technology (7 and 5) is not flagged; cost is scored automatically;
		// the comment is required; B's expertise is not scored at all.
		_, err = e.client.ConfirmModeration(sam, &catalogv1.ConfirmModerationRequest{Name: pa.GetName(), Criteria: []catalogv1.Criterion{catalogv1.Criterion_CRITERION_TECHNOLOGY}, Comment: "fine"})
		wantStatus(t, err, codes.FailedPrecondition, "TECHNOLOGY (scores 5–7)", "not flagged NEEDS_MODERATION")
		_, err = e.client.ConfirmModeration(sam, &catalogv1.ConfirmModerationRequest{Name: pa.GetName(), Criteria: []catalogv1.Criterion{catalogv1.Criterion_CRITERION_EXPERTISE, catalogv1.Criterion_CRITERION_COST}, Comment: "fine"})
		wantViolations(t, err, "criteria[1]")
		_, err = e.client.ConfirmModeration(sam, &catalogv1.ConfirmModerationRequest{Name: pa.GetName(), Criteria: expertise, Comment: "   "})
		wantViolations(t, err, "comment")
		_, err = e.client.ConfirmModeration(sam, &catalogv1.ConfirmModerationRequest{Name: pb.GetName(), Criteria: expertise, Comment: "fine"})
		wantStatus(t, err, codes.FailedPrecondition, "EXPERTISE (not scored yet)")
		_, err = e.client.ConfirmModeration(sam, &catalogv1.ConfirmModerationRequest{Name: pa.GetName(), Criteria: expertise, Comment: "fine", Etag: pa.GetEtag()})
		wantCode(t, err, codes.Aborted) // the gate changed the proposal at the close

		// Confirmed while B is unscored: the event stays CLOSED.
		current, err := e.client.GetProposal(sm, &catalogv1.GetProposalRequest{Name: pa.GetName()})
		must(t, "get proposal", err)
		req := &catalogv1.ConfirmModerationRequest{Name: pa.GetName(), Criteria: expertise, Comment: " eva weighs the missing retail references; both views stand ", Etag: current.GetEtag(), RequestId: "moderate-1"}
		got, err := e.client.ConfirmModeration(sam, req)
		must(t, "confirm", err)
		if len(got.GetModerations()) != 1 || got.GetModerations()[0].GetModerator() != "sam" || got.GetModerations()[0].GetLowScore() != 2 || got.GetModerations()[0].GetHighScore() != 7 ||
			got.GetModerations()[0].GetComment() != "eva weighs the missing retail references; both views stand" || got.GetModerations()[0].GetConfirmTime() == nil {
			t.Errorf("moderations %v, want sam's confirmation of 2–7 with the trimmed comment", got.GetModerations())
		}
		if got.GetSourcingEvent().GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED {
			t.Errorf("event %v, want CLOSED: B is not scored yet", got.GetSourcingEvent().GetState())
		}
		again, err := e.client.ConfirmModeration(sam, req)
		if err != nil || !proto.Equal(again, got) {
			t.Errorf("retry = %v, %v; want the first answer", again, err)
		}
		r, err := e.client.GetRanking(sm, &catalogv1.GetRankingRequest{Name: rankingOf(t, ev.GetName())})
		must(t, "ranking", err)
		if c := expertiseOf(t, r, pa.GetName()); c.GetNeedsModeration() || c.GetModeration().GetModerator() != "sam" || c.GetScore() != "4.50" || r.GetNeedsModeration() {
			t.Errorf("A's expertise %v (ranking needs moderation %v); want confirmed by sam at (2+7)/2 = 4.50, nothing flagged", c, r.GetNeedsModeration())
		}

		// eva revises 2 → 1: 1–7 is not what sam confirmed; flagged again,
		// so the last scores of B leave the event stuck in CLOSED.
		must(t, "revise", e.score(t, "eva", pa.GetName(), 1, 7, 7, 7, 7))
		must(t, "score", e.score(t, "eva", pb.GetName(), 7, 7, 7, 7, 7))
		must(t, "score", e.score(t, "ed", pb.GetName(), 7, 7, 7, 7, 7))
		r, err = e.client.GetRanking(sm, &catalogv1.GetRankingRequest{Name: rankingOf(t, ev.GetName())})
		must(t, "ranking", err)
		if c := expertiseOf(t, r, pa.GetName()); !c.GetNeedsModeration() || c.GetModeration() != nil || !r.GetComplete() || !r.GetNeedsModeration() {
			t.Errorf("A's expertise %v, complete %v; want a complete ranking flagged again with no confirmation in force", c, r.GetComplete())
		}
		stuck, err := e.client.GetSourcingEvent(sm, &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
		if err != nil || stuck.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED {
			t.Fatalf("event %v (%v), want CLOSED until moderated", stuck.GetState(), err)
		}

		// Any sourcing manager, not only the owner, confirms 1–7: EVALUATED
		// in the same transaction.
		got, err = e.client.ConfirmModeration(sam, &catalogv1.ConfirmModerationRequest{Name: pa.GetName(), Criteria: expertise, Comment: "confirmed after the revision"})
		must(t, "confirm again", err)
		if got.GetSourcingEvent().GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED || got.GetModerations()[0].GetLowScore() != 1 {
			t.Fatalf("after confirming 1–7 the answer is %v", got)
		}
		after, err := e.client.GetSourcingEvent(sm, &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
		if err != nil || after.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED || after.GetEtag() != got.GetSourcingEvent().GetEtag() {
			t.Fatalf("event %v (%v), want EVALUATED", after.GetState(), err)
		}
		// A: expertise (1+7)/2 = 4, technology (7+5)/2 = 6, the rest 7,
		// location 4, cost 10: (20×4 + 10×6 + 10×7×2 + 15×7 + 5×4 + 30×10)/10
		// = (80+60+140+105+20+300)/10 = 70.50. B: 74.00 as in
		// TestScoringModerationAndAward.
		r, err = e.client.GetRanking(sm, &catalogv1.GetRankingRequest{Name: rankingOf(t, ev.GetName())})
		must(t, "ranking", err)
		if r.GetProposals()[0].GetProposal() != pb.GetName() || r.GetProposals()[0].GetTotal() != "74.00" || r.GetProposals()[1].GetTotal() != "70.50" {
			t.Errorf("ranking %v, want B 74.00 then A 70.50", r.GetProposals())
		}
		if c := expertiseOf(t, r, pa.GetName()); c.GetModeration().GetComment() != "confirmed after the revision" {
			t.Errorf("A's expertise %v, want the second confirmation in force", c)
		}

		// Once EVALUATED, there is nothing left to moderate.
		_, err = e.client.ConfirmModeration(sam, &catalogv1.ConfirmModerationRequest{Name: pa.GetName(), Criteria: expertise, Comment: "late"})
		wantStatus(t, err, codes.FailedPrecondition, "is EVALUATED")

		// The confirmations are audited.
		log, err := e.client.ListAuditEvents(e.as(t, auth.Auditor), &catalogv1.ListAuditEventsRequest{Filter: `resource = "` + pa.GetName() + `/moderations/EXPERTISE"`, PageSize: 1000})
		must(t, "audit", err)
		n := len(log.GetAuditEvents())
		if n != 2 {
			t.Errorf("%d audit records of the moderation, want 2 (confirmed, confirmed again)", n)
		}
	})
}
