package catalog_test

import (
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// timeAndMaterials is a T&M proposal of the bidder's one center: agents
// at USD 18.50 × 4 000 h and team leads at USD 32.25 × 320 h a month =
// USD 84 320.00 a month; × 36 months = USD 3 035 520.00.
func timeAndMaterials(b bidder) *catalogv1.Proposal {
	p := fixedPrice(b, 1)
	p.Pricing = &catalogv1.ProposalPricing{
		Model: catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS,
		RateCard: []*typev1.RateCardEntry{
			{Role: "agent", HourlyRate: &typev1.Money{CurrencyCode: "USD", MinorUnits: 1_850}, EstimatedMonthlyHours: 4_000},
			{Role: "team_lead", HourlyRate: &typev1.Money{CurrencyCode: "USD", MinorUnits: 3_225}, EstimatedMonthlyHours: 320},
		},
	}
	return p
}

// performanceBased: base USD 80 000.00 + bonus pool USD 5 000.00 a month,
// 12 % at risk: (8 000 000 + 500 000) × 36 = USD 3 060 000.00.
func performanceBased(b bidder) *catalogv1.Proposal {
	p := fixedPrice(b, 1)
	p.Pricing = &catalogv1.ProposalPricing{
		Model:          catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED,
		BaseMonthlyFee: &typev1.Money{CurrencyCode: "USD", MinorUnits: 8_000_000},
		AtRiskBps:      1200,
		BonusPool:      &typev1.Money{CurrencyCode: "USD", MinorUnits: 500_000},
	}
	return p
}

// A live RFP: three invitees; Chicago declines; Manila bids T&M, Bogota
// performance-based; the scope changes (revision 2 approved) and both
// proposals need confirmation; Bogota confirms, Manila does not; the
// deadline passes and the event closes by itself, the gate disqualifying
// the unconfirmed proposal; a late proposal is refused by the clock.
func TestChangeControlOnALiveEvent(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		ev := e.publishedEvent(t, f.eng.GetName(), f.bidders()...)

		pm := e.submit(t, ev.GetName(), f.manila, timeAndMaterials(f.manila))
		pb := e.submit(t, ev.GetName(), f.bogota, performanceBased(f.bogota))
		if pm.GetTotalContractValue().GetMinorUnits() != 303_552_000 || pb.GetTotalContractValue().GetMinorUnits() != 306_000_000 {
			t.Fatalf("TCVs %v and %v, want USD 3 035 520.00 (T&M) and 3 060 000.00 (performance-based)", pm.GetTotalContractValue(), pb.GetTotalContractValue())
		}

		// Early close needs every invitee to have submitted or declined.
		_, err := e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		wantStatus(t, err, codes.FailedPrecondition, "neither submitted nor declined", f.chicago.name())
		_, err = e.client.DeclineInvitation(f.chicago.ctx, &catalogv1.DeclineInvitationRequest{Name: ev.GetName(), Reason: " "})
		wantViolations(t, err, "reason")
		_, err = e.client.DeclineInvitation(f.manila.ctx, &catalogv1.DeclineInvitationRequest{Name: ev.GetName(), Reason: "changed our mind"})
		wantStatus(t, err, codes.FailedPrecondition, "has submitted a proposal")
		got, err := e.client.DeclineInvitation(f.chicago.ctx, &catalogv1.DeclineInvitationRequest{Name: ev.GetName(), Reason: "no capacity before Q3", RequestId: "decline-1"})
		must(t, "decline", err)
		if len(got.GetDeclinedInvitations()) != 1 || got.GetDeclinedInvitations()[0].GetReason() != "no capacity before Q3" {
			t.Fatalf("declined %v", got.GetDeclinedInvitations())
		}
		_, err = e.client.DeclineInvitation(f.chicago.ctx, &catalogv1.DeclineInvitationRequest{Name: ev.GetName(), Reason: "again"})
		wantStatus(t, err, codes.FailedPrecondition, "already declined")
		// Another provider does not learn of Chicago's refusal.
		seen, err := e.client.GetSourcingEvent(f.manila.ctx, &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
		must(t, "manila reads the event", err)
		if len(seen.GetDeclinedInvitations()) != 0 {
			t.Errorf("Manila sees the refusals %v", seen.GetDeclinedInvitations())
		}

		// The scope changes: revision 2 approved moves the event to it.
		sc := sourcingScope(scopeOf(t, f.eng.GetName()))
		sc.Deliverables[0].ExpectedMonthlyVolume = 95_000
		_, err = e.client.UpdateScope(sm, &catalogv1.UpdateScopeRequest{Scope: sc})
		must(t, "update scope", err)
		_, err = e.client.SubmitScope(sm, &catalogv1.SubmitScopeRequest{Name: sc.GetName()})
		must(t, "submit scope", err)
		_, err = e.client.ApproveScope(e.as(t, auth.Approver), &catalogv1.ApproveScopeRequest{Name: sc.GetName()})
		must(t, "approve scope revision 2", err)
		moved, err := e.client.GetSourcingEvent(sm, &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
		must(t, "get event", err)
		if moved.GetScopeRevision() != 2 || moved.GetRequirementsChangeTime() == nil {
			t.Fatalf("event on scope revision %d (changed %v), want 2", moved.GetScopeRevision(), moved.GetRequirementsChangeTime())
		}
		for _, b := range []bidder{f.manila, f.bogota} {
			p, err := e.client.GetProposal(b.ctx, &catalogv1.GetProposalRequest{Name: proposalOf(t, ev.GetName(), b)})
			if err != nil || p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_NEEDS_CONFIRMATION {
				t.Fatalf("%s's proposal is %v (%v), want NEEDS_CONFIRMATION", b.provider.GetDisplayName(), p.GetState(), err)
			}
			notes, err := e.client.ListNotifications(b.ctx, &catalogv1.ListNotificationsRequest{Parent: b.name()})
			if err != nil || len(notes.GetNotifications()) != 1 || notes.GetNotifications()[0].GetKind() != catalogv1.NotificationKind_NOTIFICATION_KIND_CONFIRMATION_NEEDED {
				t.Errorf("%s notified %v (%v)", b.provider.GetDisplayName(), notes.GetNotifications(), err)
			}
		}
		// Early close waits for the confirmations too.
		_, err = e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		wantStatus(t, err, codes.FailedPrecondition, "NEEDS_CONFIRMATION")
		confirmed, err := e.client.ConfirmProposal(f.bogota.ctx, &catalogv1.ConfirmProposalRequest{Name: pb.GetName()})
		must(t, "confirm", err)
		if confirmed.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED || confirmed.GetConfirmTime() == nil || confirmed.GetRevision() != 1 {
			t.Fatalf("confirmed %v", confirmed)
		}
		_, err = e.client.ConfirmProposal(f.bogota.ctx, &catalogv1.ConfirmProposalRequest{Name: pb.GetName()})
		wantStatus(t, err, codes.FailedPrecondition, "SUBMITTED")
		_, err = e.client.ConfirmProposal(f.bogota.ctx, &catalogv1.ConfirmProposalRequest{Name: pm.GetName()})
		wantCode(t, err, codes.PermissionDenied)

		// The deadline passes: the event closes by itself on the next read,
		// recorded as the clock's.
		e.clock.Advance(7*24*time.Hour + time.Second)
		_, err = e.client.CreateProposal(f.chicago.ctx, &catalogv1.CreateProposalRequest{Parent: ev.GetName(), Proposal: fixedPrice(f.chicago, 100)})
		wantCode(t, err, codes.FailedPrecondition)
		closed, err := e.client.GetSourcingEvent(e.as(t, auth.Auditor), &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
		must(t, "get after the deadline", err)
		if closed.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED {
			t.Fatalf("after the deadline the event is %v, want CLOSED", closed.GetState())
		}
		gm, err := e.client.GetProposal(sm, &catalogv1.GetProposalRequest{Name: pm.GetName()})
		must(t, "get manila", err)
		if gm.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_DISQUALIFIED || !strings.Contains(strings.Join(gm.GetDisqualificationReasons(), ";"), "neither confirmed nor revised") {
			t.Errorf("the unconfirmed proposal is %v %v, want DISQUALIFIED for it", gm.GetState(), gm.GetDisqualificationReasons())
		}
		gb, err := e.client.GetProposal(sm, &catalogv1.GetProposalRequest{Name: pb.GetName()})
		if err != nil || gb.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED {
			t.Errorf("the confirmed proposal is %v (%v), want QUALIFIED", gb.GetState(), err)
		}
		audit, err := e.client.ListAuditEvents(e.as(t, auth.Auditor), &catalogv1.ListAuditEventsRequest{Filter: `resource = "` + ev.GetName() + `"`, PageSize: 1000})
		must(t, "audit", err)
		last := audit.GetAuditEvents()[len(audit.GetAuditEvents())-1]
		if last.GetSubject() != "system:deadline" || last.GetMethod() != catalogv1.CatalogService_CloseSourcingEvent_FullMethodName {
			t.Errorf("the close is recorded by %q with %q, want the clock's", last.GetSubject(), last.GetMethod())
		}
		// Revisions readable now: Manila's one revision, unsealed.
		revs, err := e.client.ListProposalRevisions(sm, &catalogv1.ListProposalRevisionsRequest{Parent: pm.GetName()})
		if err != nil || len(revs.GetRevisions()) != 1 || revs.GetRevisions()[0].GetPricing().GetModel() != catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS {
			t.Errorf("revisions %v (%v)", revs.GetRevisions(), err)
		}
	})
}

// UpdateSourcingEvent on a PUBLISHED event: a shortened deadline or new
// criteria are a change of requirements that needs 5 days left; invitees
// cannot be removed, nor the term changed.
func TestUpdatePublishedEvent(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		ev := e.publishedEvent(t, f.eng.GetName(), f.manila, f.bogota)
		e.submit(t, ev.GetName(), f.manila, fixedPrice(f.manila, 10_000_000))
		update := func(in *catalogv1.SourcingEvent, paths ...string) (*catalogv1.SourcingEvent, error) {
			in.Name = ev.GetName()
			return e.client.UpdateSourcingEvent(sm, &catalogv1.UpdateSourcingEventRequest{SourcingEvent: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
		}
		now := e.clock.Now()
		// 4 days left is too little.
		_, err := update(&catalogv1.SourcingEvent{ProposalDeadline: timestamppb.New(now.Add(4 * 24 * time.Hour))}, "proposal_deadline")
		wantStatus(t, err, codes.FailedPrecondition, "less than 5 days")
		_, err = update(&catalogv1.SourcingEvent{InvitedProviders: []string{f.manila.name()}}, "invited_providers")
		wantStatus(t, err, codes.FailedPrecondition, "cannot be removed")
		_, err = update(&catalogv1.SourcingEvent{ContractTermMonths: 24}, "contract_term_months")
		wantStatus(t, err, codes.FailedPrecondition, "fixed once")
		// Nothing was changed by the refusals.
		p, err := e.client.GetProposal(f.manila.ctx, &catalogv1.GetProposalRequest{Name: proposalOf(t, ev.GetName(), f.manila)})
		if err != nil || p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED {
			t.Fatalf("after refusals the proposal is %v (%v)", p.GetState(), err)
		}
		// A longer deadline is no change of requirements.
		longer, err := update(&catalogv1.SourcingEvent{ProposalDeadline: timestamppb.New(now.Add(10 * 24 * time.Hour))}, "proposal_deadline")
		must(t, "extend", err)
		if longer.GetRequirementsChangeTime() != nil {
			t.Errorf("extending the deadline changed the requirements")
		}
		// New weights with 10 days left: proposals need confirmation.
		criteria := []*catalogv1.CriterionWeight{
			{Criterion: catalogv1.Criterion_CRITERION_EXPERTISE, Weight: 40},
			{Criterion: catalogv1.Criterion_CRITERION_LOCATION, Weight: 20},
			{Criterion: catalogv1.Criterion_CRITERION_COST, Weight: 40},
		}
		changed, err := update(&catalogv1.SourcingEvent{Criteria: criteria}, "criteria")
		must(t, "change criteria", err)
		if changed.GetRequirementsChangeTime() == nil || len(changed.GetCriteria()) != 3 {
			t.Fatalf("changed %v", changed)
		}
		p, err = e.client.GetProposal(f.manila.ctx, &catalogv1.GetProposalRequest{Name: proposalOf(t, ev.GetName(), f.manila)})
		if err != nil || p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_NEEDS_CONFIRMATION {
			t.Fatalf("after new criteria the proposal is %v (%v)", p.GetState(), err)
		}
		// A revision confirms too.
		rev := fixedPrice(f.manila, 9_500_000)
		rev.Name = p.GetName()
		p, err = e.client.UpdateProposal(f.manila.ctx, &catalogv1.UpdateProposalRequest{Proposal: rev})
		if err != nil || p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED || p.GetRevision() != 2 {
			t.Fatalf("revised %v (%v)", p, err)
		}
		// The client moves to Chicago: a change of requirements too.
		_, err = e.client.UpdateEngagement(sm, &catalogv1.UpdateEngagementRequest{
			Engagement: &catalogv1.Engagement{Name: f.eng.GetName(), ClientTimeZone: "America/Chicago"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"client_time_zone"}},
		})
		must(t, "move the client", err)
		p, err = e.client.GetProposal(f.manila.ctx, &catalogv1.GetProposalRequest{Name: p.GetName()})
		if err != nil || p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_NEEDS_CONFIRMATION {
			t.Fatalf("after the client moved the proposal is %v (%v)", p.GetState(), err)
		}
		_, err = e.client.ConfirmProposal(f.manila.ctx, &catalogv1.ConfirmProposalRequest{Name: p.GetName(), RequestId: "confirm-1"})
		must(t, "confirm", err)
		again, err := e.client.ConfirmProposal(f.manila.ctx, &catalogv1.ConfirmProposalRequest{Name: p.GetName(), RequestId: "confirm-1"})
		if err != nil || again.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED {
			t.Fatalf("a retry of the confirmation: %v (%v), want the first answer", again, err)
		}
		// Six days on, 4 days are left: a new approved scope revision would
		// change the requirements with too little time, so it is refused,
		// naming the event, and nothing changes.
		e.clock.Advance(6 * 24 * time.Hour)
		sc := sourcingScope(scopeOf(t, f.eng.GetName()))
		sc.Deliverables[0].ExpectedMonthlyVolume = 99_000
		_, err = e.client.UpdateScope(sm, &catalogv1.UpdateScopeRequest{Scope: sc})
		must(t, "update scope", err)
		_, err = e.client.SubmitScope(sm, &catalogv1.SubmitScopeRequest{Name: sc.GetName()})
		must(t, "submit scope", err)
		_, err = e.client.ApproveScope(e.as(t, auth.Approver), &catalogv1.ApproveScopeRequest{Name: sc.GetName()})
		wantStatus(t, err, codes.FailedPrecondition, ev.GetName(), "less than 5 days")
		got, err := e.client.GetScope(sm, &catalogv1.GetScopeRequest{Name: sc.GetName()})
		if err != nil || got.GetState() != catalogv1.ScopeState_SCOPE_STATE_IN_REVIEW {
			t.Fatalf("after the refused approval the scope is %v (%v)", got.GetState(), err)
		}

		// Only a sourcing manager changes an event.
		_, err = e.client.UpdateSourcingEvent(e.as(t, auth.Approver), &catalogv1.UpdateSourcingEventRequest{SourcingEvent: &catalogv1.SourcingEvent{Name: ev.GetName(), DisplayName: "x"}})
		wantCode(t, err, codes.PermissionDenied)
	})
}

// Standing: inviting a POOR provider warns, in the answer and the audit;
// a VERY_POOR one needs an approver's override before publishing.
func TestInvitingByStanding(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm, gm := e.as(t, auth.SourcingManager), e.as(t, auth.GovernanceManager)
		report := func(b bidder, score int32) {
			t.Helper()
			_, err := e.client.ReportProviderPerformance(gm, &catalogv1.ReportProviderPerformanceRequest{Name: b.name(), Score: periodScore("contracts/c1", "2026-10", score, 2026, 10, 31)})
			must(t, "report", err)
		}
		report(f.manila, 40)  // POOR
		report(f.bogota, 20)  // VERY_POOR
		report(f.chicago, 85) // EXCELLENT
		ev, err := e.client.CreateSourcingEvent(sm, &catalogv1.CreateSourcingEventRequest{SourcingEvent: e.newEvent(f.eng.GetName(), f.bidders()...)})
		must(t, "create", err)
		if len(ev.GetWarnings()) != 2 || !strings.Contains(ev.GetWarnings()[0], "POOR (average 40.00 over 1 period(s))") || !strings.Contains(ev.GetWarnings()[1], "VERY_POOR") {
			t.Fatalf("warnings %q", ev.GetWarnings())
		}
		_, err = e.client.PublishSourcingEvent(sm, &catalogv1.PublishSourcingEventRequest{Name: ev.GetName()})
		wantStatus(t, err, codes.FailedPrecondition, f.bogota.name(), "VERY_POOR", "ApproveInvitation")
		_, err = e.client.ApproveInvitation(sm, &catalogv1.ApproveInvitationRequest{Name: ev.GetName(), Provider: f.bogota.name(), Reason: "x"})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.ApproveInvitation(e.as(t, auth.Approver), &catalogv1.ApproveInvitationRequest{Name: ev.GetName(), Provider: f.chicago.name(), Reason: "x"})
		wantStatus(t, err, codes.FailedPrecondition, "EXCELLENT")
		ok, err := e.client.ApproveInvitation(e.as(t, auth.Approver), &catalogv1.ApproveInvitationRequest{Name: ev.GetName(), Provider: f.bogota.name(), Reason: "the only nearshore bidder; new management since October"})
		must(t, "approve invitation", err)
		if len(ok.GetInvitationOverrides()) != 1 || ok.GetInvitationOverrides()[0].GetApprovedBy() != "approver" {
			t.Fatalf("overrides %v", ok.GetInvitationOverrides())
		}
		pub, err := e.client.PublishSourcingEvent(sm, &catalogv1.PublishSourcingEventRequest{Name: ev.GetName()})
		must(t, "publish", err)
		if !strings.Contains(strings.Join(pub.GetWarnings(), "\n"), "invited by an approver's override") {
			t.Errorf("warnings after the override %q", pub.GetWarnings())
		}
		// The audit record of the creation holds the warnings.
		audit, err := e.client.ListAuditEvents(e.as(t, auth.Auditor), &catalogv1.ListAuditEventsRequest{Filter: `resource = "` + ev.GetName() + `"`})
		must(t, "audit", err)
		if !strings.Contains(audit.GetAuditEvents()[0].GetAfter().String(), "standing POOR") {
			t.Errorf("the audit record of the creation %v holds no warning", audit.GetAuditEvents()[0].GetAfter())
		}
		// Providers do not see others' standings.
		seen, err := e.client.GetSourcingEvent(f.chicago.ctx, &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
		if err != nil || len(seen.GetWarnings()) != 0 || len(seen.GetInvitationOverrides()) != 0 {
			t.Errorf("a provider sees warnings %v overrides %v (%v)", seen.GetWarnings(), seen.GetInvitationOverrides(), err)
		}
	})
}
