package catalog_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// proposalOf is the name of b's proposal to event, as the server names it:
// one per provider, with the provider's id.
func proposalOf(t *testing.T, event string, b bidder) string {
	t.Helper()
	var ev catalogv1.SourcingEventResourceName
	var prov catalogv1.ProviderResourceName
	if err := errors.Join(ev.UnmarshalString(event), prov.UnmarshalString(b.name())); err != nil {
		t.Fatal(err)
	}
	return ev.ProposalResourceName(prov.Provider).String()
}

// rankingOf is the name of event's ranking.
func rankingOf(t *testing.T, event string) string {
	t.Helper()
	var ev catalogv1.SourcingEventResourceName
	if err := ev.UnmarshalString(event); err != nil {
		t.Fatal(err)
	}
	return ev.RankingResourceName().String()
}

// scopeOf is the name of engagement's scope.
func scopeOf(t *testing.T, engagement string) string {
	t.Helper()
	var eng catalogv1.EngagementResourceName
	if err := eng.UnmarshalString(engagement); err != nil {
		t.Fatal(err)
	}
	return eng.ScopeResourceName().String()
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantStatus fails unless err has code and its message contains each part.
func wantStatus(t *testing.T, err error, code codes.Code, parts ...string) {
	t.Helper()
	st := wantCode(t, err, code)
	for _, p := range parts {
		if !strings.Contains(st.Message(), p) {
			t.Fatalf("message %q, want it to contain %q", st.Message(), p)
		}
	}
}

// TestSelectWalkthrough walks the worked example of selection/score_test.go
// through the API: three sealed proposals, an early close, two evaluators,
// the automatic EVALUATED, the ranking C 83.00 > B 81.25 > A 76.25, the
// award to C and its approval, recorded on the engagement.
func TestSelectWalkthrough(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		ev := e.publishedEvent(t, f.eng.GetName(), f.bidders()...)
		if ev.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED || ev.GetScopeRevision() != 1 ||
			len(ev.GetCriteria()) != 7 || ev.GetContractTermMonths() != 36 || ev.GetOwner() != "sourcing_manager" {
			t.Fatalf("published event %v; want PUBLISHED on scope revision 1, the 7 default criteria, 36 months (the scope's), owner sourcing_manager", ev)
		}

		// USD 100 000, 120 000 and 150 000 a month over 36 months.
		type want struct {
			tcv     int64
			shore   catalogv1.ShoreModel
			overlap float64
		}
		proposals := map[string]*catalogv1.Proposal{}
		for _, c := range []struct {
			b    bidder
			fee  int64
			want want
		}{
			{f.manila, 10_000_000, want{360_000_000, catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, 0}},
			{f.bogota, 12_000_000, want{432_000_000, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, 8}},
			{f.chicago, 15_000_000, want{540_000_000, catalogv1.ShoreModel_SHORE_MODEL_ONSHORE, 7}},
		} {
			p := e.submit(t, ev.GetName(), c.b, fixedPrice(c.b, c.fee))
			wantName := proposalOf(t, ev.GetName(), c.b)
			if p.GetName() != wantName || p.GetProvider() != c.b.name() || p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED ||
				p.GetRevision() != 1 || p.GetSealed() || p.GetSubmitTime() == nil || p.GetEtag() == "" {
				t.Fatalf("submitted %v", p)
			}
			if p.GetTotalContractValue().GetMinorUnits() != c.want.tcv || p.GetTotalContractValue().GetCurrencyCode() != "USD" ||
				p.GetShoreModel() != c.want.shore || p.GetOverlapHours() != c.want.overlap {
				t.Errorf("%s: TCV %v, %v, %v h; want USD %d, %v, %v h", c.b.provider.GetDisplayName(), p.GetTotalContractValue(), p.GetShoreModel(), p.GetOverlapHours(), c.want.tcv, c.want.shore, c.want.overlap)
			}
			proposals[c.b.name()] = p
		}
		a, b, c := proposals[f.manila.name()].GetName(), proposals[f.bogota.name()].GetName(), proposals[f.chicago.name()].GetName()

		// Every invited provider submitted: the deadline need not pass.
		closed, err := e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName(), Etag: ev.GetEtag()})
		must(t, "close", err)
		if closed.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED {
			t.Fatalf("closed state %v", closed.GetState())
		}
		list, err := e.client.ListProposals(sm, &catalogv1.ListProposalsRequest{Parent: ev.GetName()})
		must(t, "list proposals", err)
		for _, p := range list.GetProposals() {
			if p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED || p.GetSealed() || p.GetPricing() == nil || len(p.GetDisqualificationReasons()) != 0 {
				t.Errorf("after the close %v; want QUALIFIED and unsealed", p)
			}
		}

		// The scores of the worked example.
		scores := []struct {
			evaluator, proposal     string
			exp, tech, comm, sc, se int32
		}{
			{"eva", a, 6, 7, 5, 8, 7}, {"eva", b, 8, 8, 9, 7, 8}, {"eva", c, 9, 9, 10, 8, 9},
			{"ed", a, 8, 7, 6, 8, 6}, {"ed", b, 9, 7, 8, 7, 9}, {"ed", c, 9, 8, 9, 9, 9},
		}
		for i, s := range scores {
			must(t, "score", e.score(t, s.evaluator, s.proposal, s.exp, s.tech, s.comm, s.sc, s.se))
			got, err := e.client.GetSourcingEvent(sm, &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
			must(t, "get event", err)
			wantState := catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED
			if i == len(scores)-1 {
				wantState = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED
			}
			if got.GetState() != wantState {
				t.Fatalf("after %d of %d scores the event is %v, want %v", i+1, len(scores), got.GetState(), wantState)
			}
		}

		r, err := e.client.GetRanking(e.as(t, auth.Evaluator), &catalogv1.GetRankingRequest{Name: rankingOf(t, ev.GetName())})
		must(t, "ranking", err)
		type row struct {
			rank          int32
			proposal      string
			total, cost   string
			location, tcv string
		}
		var got []row
		for _, p := range r.GetProposals() {
			var cost, loc string
			for _, cr := range p.GetCriteria() {
				switch cr.GetCriterion() {
				case catalogv1.Criterion_CRITERION_COST:
					cost = cr.GetScore()
				case catalogv1.Criterion_CRITERION_LOCATION:
					loc = cr.GetScore()
				}
			}
			got = append(got, row{p.GetRank(), p.GetProposal(), p.GetTotal(), cost, loc, p.GetTotalContractValue().String()})
		}
		wantRows := []row{
			{1, c, "83.00", "6.67", "10.00", (&typev1.Money{CurrencyCode: "USD", MinorUnits: 540_000_000}).String()},
			{2, b, "81.25", "8.33", "7.00", (&typev1.Money{CurrencyCode: "USD", MinorUnits: 432_000_000}).String()},
			{3, a, "76.25", "10.00", "4.00", (&typev1.Money{CurrencyCode: "USD", MinorUnits: 360_000_000}).String()},
		}
		if !r.GetComplete() || len(got) != 3 || got[0] != wantRows[0] || got[1] != wantRows[1] || got[2] != wantRows[2] {
			t.Fatalf("ranking (complete %v)\n got %v\nwant %v", r.GetComplete(), got, wantRows)
		}
		// Robustness of C over B. The mean scores give C − B per criterion
		// (0–10): EXPERTISE 0.5, TECHNOLOGY 1, COMMUNICATION 1, SCALABILITY
		// 1.5, SECURITY 0.5, LOCATION 3, COST 6.67 − 8.33 = −1.67; the gap
		// is 83.00 − 81.25 = 1.75. Raising COST by δ rescales the others
		// (70 in all) by (70 − δ)/70: gap = 6.75 (70 − δ)/70 − (30 + δ)/6
		// = 1.75 − 0.2631 δ < 0 ⇔ δ > 6.65, so 7 points (30 → 37); at 6 C
		// still leads by 0.17. Every cut (LOCATION −5 at most: 0.26 left;
		// SCALABILITY −10: 0.28 left; the rest less) leaves C ahead, and
		// raising any other criterion widens C's lead.
		rb := r.GetRobustness()
		if rb.GetLeader() != c || rb.GetRunnerUp() != b || rb.GetCriterion() != catalogv1.Criterion_CRITERION_COST || rb.GetWeight() != 30 || rb.GetChangePoints() != 7 ||
			!strings.Contains(rb.GetSummary(), "COST moves +7 points (from 30 to 37") {
			t.Errorf("robustness %v, want COST +7 (30 → 37) would put %s ahead of %s", rb, b, c)
		}

		awarded, err := e.client.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: ev.GetName(), Proposal: c})
		must(t, "award", err)
		if aw := awarded.GetAward(); aw.GetProposal() != c || aw.GetProvider() != f.chicago.name() || aw.GetProposedBy() != "sourcing_manager" ||
			aw.GetApprovedBy() != "" || awarded.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED {
			t.Fatalf("proposed award %v (%v)", aw, awarded.GetState())
		}
		approved, err := e.client.ApproveAward(e.as(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: ev.GetName(), Etag: awarded.GetEtag()})
		must(t, "approve award", err)
		if approved.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_AWARDED || approved.GetAward().GetApprovedBy() != "approver" || approved.GetAward().GetApproveTime() == nil {
			t.Fatalf("approved %v", approved)
		}
		for name, want := range map[string]catalogv1.ProposalState{
			c: catalogv1.ProposalState_PROPOSAL_STATE_AWARDED,
			b: catalogv1.ProposalState_PROPOSAL_STATE_NOT_SELECTED,
			a: catalogv1.ProposalState_PROPOSAL_STATE_NOT_SELECTED,
		} {
			p, err := e.client.GetProposal(sm, &catalogv1.GetProposalRequest{Name: name})
			if err != nil || p.GetState() != want {
				t.Errorf("%s is %v (%v), want %v", name, p.GetState(), err, want)
			}
		}
		eng, err := e.client.GetEngagement(sm, &catalogv1.GetEngagementRequest{Name: f.eng.GetName()})
		must(t, "get engagement", err)
		wantAward := &catalogv1.EngagementAward{
			SourcingEvent: ev.GetName(), Proposal: c, Provider: f.chicago.name(),
			TotalContractValue: &typev1.Money{CurrencyCode: "USD", MinorUnits: 540_000_000}, TotalScore: "83.00",
			AwardTime: approved.GetAward().GetApproveTime(),
		}
		if !proto.Equal(eng.GetAward(), wantAward) {
			t.Fatalf("engagement award %v, want %v", eng.GetAward(), wantAward)
		}
		// The engagement's facets survived the award: its owner still
		// lists it.
		engs, err := e.client.ListEngagements(sm, &catalogv1.ListEngagementsRequest{Filter: `owner = "sourcing_manager"`})
		if err != nil || len(engs.GetEngagements()) != 1 {
			t.Errorf("ListEngagements by owner after the award = %v, %v; want the engagement", engs.GetEngagements(), err)
		}
		// The winner, and only the winner, sees the award on the event.
		for _, bd := range f.bidders() {
			got, err := e.client.GetSourcingEvent(bd.ctx, &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
			must(t, "provider gets the event", err)
			if (got.GetAward() != nil) != (bd.name() == f.chicago.name()) || got.GetAward().GetJustification() != "" || len(got.GetEvaluators()) != 0 {
				t.Errorf("%s sees the event's award %v and evaluators %v", bd.provider.GetDisplayName(), got.GetAward(), got.GetEvaluators())
			}
		}
		_, err = e.client.CancelSourcingEvent(sm, &catalogv1.CancelSourcingEventRequest{Name: ev.GetName(), Reason: "too late"})
		wantStatus(t, err, codes.FailedPrecondition, "AWARDED")
	})
}

func TestPublishNeedsAnApprovedScope(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		sm := e.as(t, auth.SourcingManager)
		acme := e.newBidder(t, "Acme", "PH", "Manila", "Asia/Manila")
		for _, c := range []struct {
			state catalogv1.ScopeState
			want  string
		}{
			{catalogv1.ScopeState_SCOPE_STATE_DRAFT, "is DRAFT (revision 1): submit it and have an approver approve it before publishing"},
			{catalogv1.ScopeState_SCOPE_STATE_IN_REVIEW, "is IN_REVIEW (revision 1): have an approver approve it before publishing"},
		} {
			eng := e.engagementWithScope(t, c.state)
			ev, err := e.client.CreateSourcingEvent(sm, &catalogv1.CreateSourcingEventRequest{SourcingEvent: e.newEvent(eng.GetName(), acme)})
			must(t, "create", err)
			_, err = e.client.PublishSourcingEvent(sm, &catalogv1.PublishSourcingEventRequest{Name: ev.GetName()})
			wantStatus(t, err, codes.FailedPrecondition, "the scope of "+eng.GetName()+" "+c.want)

			if c.state == catalogv1.ScopeState_SCOPE_STATE_IN_REVIEW {
				_, err := e.client.ApproveScope(e.as(t, auth.Approver), &catalogv1.ApproveScopeRequest{Name: scopeOf(t, eng.GetName())})
				must(t, "approve scope", err)
				pub, err := e.client.PublishSourcingEvent(sm, &catalogv1.PublishSourcingEventRequest{Name: ev.GetName(), Etag: ev.GetEtag()})
				must(t, "publish on the approved scope", err)
				if pub.GetScopeRevision() != 1 || pub.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED {
					t.Fatalf("published %v", pub)
				}
				_, err = e.client.PublishSourcingEvent(sm, &catalogv1.PublishSourcingEventRequest{Name: ev.GetName()})
				wantStatus(t, err, codes.FailedPrecondition, "cannot publish a sourcing event that is PUBLISHED")
			}
		}

		// A draft whose deadline passed before it was published.
		eng := e.engagementWithScope(t, catalogv1.ScopeState_SCOPE_STATE_APPROVED)
		late, err := e.client.CreateSourcingEvent(sm, &catalogv1.CreateSourcingEventRequest{SourcingEvent: e.newEvent(eng.GetName(), acme)})
		must(t, "create", err)
		e.clock.Advance(8 * 24 * time.Hour)
		_, err = e.client.PublishSourcingEvent(sm, &catalogv1.PublishSourcingEventRequest{Name: late.GetName()})
		wantStatus(t, err, codes.FailedPrecondition, "has passed; cancel it and create an event with a later deadline")
	})
}

func TestCreateSourcingEventRules(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		sm := e.as(t, auth.SourcingManager)
		f := e.fixture(t)
		create := func(ev *catalogv1.SourcingEvent) (*catalogv1.SourcingEvent, error) {
			return e.client.CreateSourcingEvent(sm, &catalogv1.CreateSourcingEventRequest{SourcingEvent: ev})
		}
		cw := func(c catalogv1.Criterion, w int32) *catalogv1.CriterionWeight {
			return &catalogv1.CriterionWeight{Criterion: c, Weight: w}
		}
		violations := []struct {
			name   string
			change func(ev *catalogv1.SourcingEvent)
			want   []string
		}{
			{"weights not summing to 100", func(ev *catalogv1.SourcingEvent) {
				ev.Criteria = []*catalogv1.CriterionWeight{cw(catalogv1.Criterion_CRITERION_COST, 60), cw(catalogv1.Criterion_CRITERION_EXPERTISE, 30)}
			}, []string{"sourcing_event.criteria"}},
			{"a criterion twice", func(ev *catalogv1.SourcingEvent) {
				ev.Criteria = []*catalogv1.CriterionWeight{cw(catalogv1.Criterion_CRITERION_COST, 50), cw(catalogv1.Criterion_CRITERION_COST, 50)}
			}, []string{"sourcing_event.criteria[1].criterion"}},
			{"no evaluator", func(ev *catalogv1.SourcingEvent) { ev.Evaluators = nil }, []string{"sourcing_event.evaluators"}},
			{"a blank evaluator", func(ev *catalogv1.SourcingEvent) { ev.Evaluators = []string{"eva", " "} }, []string{"sourcing_event.evaluators[1]"}},
			{"no provider", func(ev *catalogv1.SourcingEvent) { ev.InvitedProviders = nil }, []string{"sourcing_event.invited_providers"}},
			{"a provider twice", func(ev *catalogv1.SourcingEvent) {
				ev.InvitedProviders = append(ev.InvitedProviders, ev.InvitedProviders[0])
			}, []string{"sourcing_event.invited_providers[3]"}},
			{"a deadline in the past", func(ev *catalogv1.SourcingEvent) {
				ev.ProposalDeadline = timestamppb.New(e.clock.Now().Add(-time.Minute))
			}, []string{"sourcing_event.proposal_deadline"}},
			{"no deadline", func(ev *catalogv1.SourcingEvent) { ev.ProposalDeadline = nil }, []string{"sourcing_event.proposal_deadline"}},
		}
		for _, tt := range violations {
			t.Run(tt.name, func(t *testing.T) {
				ev := e.newEvent(f.eng.GetName(), f.bidders()...)
				tt.change(ev)
				_, err := create(ev)
				wantViolations(t, err, tt.want...)
			})
		}

		t.Run("a provider that does not exist", func(t *testing.T) {
			ev := e.newEvent(f.eng.GetName(), f.manila)
			ev.InvitedProviders = append(ev.InvitedProviders, "providers/nobody")
			_, err := create(ev)
			wantStatus(t, err, codes.NotFound, "providers/nobody")
		})
		t.Run("a suspended provider", func(t *testing.T) {
			_, err := e.client.SuspendProvider(sm, &catalogv1.SuspendProviderRequest{Name: f.bogota.name(), Reason: "audit"})
			must(t, "suspend", err)
			_, err = create(e.newEvent(f.eng.GetName(), f.bidders()...))
			wantStatus(t, err, codes.FailedPrecondition, f.bogota.name()+" (SUSPENDED)")
			_, err = e.client.ActivateProvider(e.as(t, auth.Admin), &catalogv1.ActivateProviderRequest{Name: f.bogota.name(), Reason: "cleared"})
			must(t, "activate", err)
		})
		t.Run("an engagement that does not exist", func(t *testing.T) {
			_, err := create(e.newEvent("engagements/nothing", f.manila))
			wantStatus(t, err, codes.NotFound, "engagements/nothing")
		})
		t.Run("only a sourcing manager creates one", func(t *testing.T) {
			_, err := e.client.CreateSourcingEvent(e.as(t, auth.Evaluator), &catalogv1.CreateSourcingEventRequest{SourcingEvent: e.newEvent(f.eng.GetName(), f.manila)})
			wantCode(t, err, codes.PermissionDenied)
		})
		t.Run("defaults, output-only fields ignored, and a retry", func(t *testing.T) {
			in := e.newEvent(f.eng.GetName(), f.manila)
			in.State, in.ScopeRevision, in.Owner, in.Name = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_AWARDED, 7, "mallory", "sourcingEvents/mine"
			in.Award = &catalogv1.Award{Proposal: "x"}
			req := &catalogv1.CreateSourcingEventRequest{SourcingEvent: in, RequestId: "rfp-1"}
			ev, err := e.client.CreateSourcingEvent(sm, req)
			must(t, "create", err)
			if ev.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_DRAFT || ev.GetScopeRevision() != 0 || ev.GetOwner() != "sourcing_manager" ||
				ev.GetName() == "sourcingEvents/mine" || ev.GetAward() != nil || ev.GetContractTermMonths() != 36 {
				t.Fatalf("created %v", ev)
			}
			var sum int32
			for _, c := range ev.GetCriteria() {
				sum += c.GetWeight()
			}
			if len(ev.GetCriteria()) != 7 || sum != 100 {
				t.Errorf("criteria %v, want the seven defaults", ev.GetCriteria())
			}
			again, err := e.client.CreateSourcingEvent(sm, req)
			if err != nil || again.GetName() != ev.GetName() {
				t.Errorf("retry = %v, %v; want the same event", again.GetName(), err)
			}
			in2 := e.newEvent(f.eng.GetName(), f.manila)
			in2.ContractTermMonths = 24
			ev2, err := create(in2)
			if err != nil || ev2.GetContractTermMonths() != 24 {
				t.Errorf("explicit term: %v, %v", ev2.GetContractTermMonths(), err)
			}
		})
	})
}

// TestSealedBids checks, at every state of an event, what each kind of
// caller sees of the proposals. spec: catalog.md §3 "Sealed bids".
func TestSealedBids(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		ev := e.publishedEvent(t, f.eng.GetName(), f.manila, f.bogota)
		pa := e.submit(t, ev.GetName(), f.manila, fixedPrice(f.manila, 10_000_000))
		pb := e.submit(t, ev.GetName(), f.bogota, fixedPrice(f.bogota, 12_000_000))
		own := map[string]bidder{pa.GetName(): f.manila, pb.GetName(): f.bogota}
		staffRoles := []auth.Role{auth.Admin, auth.SourcingManager, auth.Evaluator, auth.Approver, auth.Auditor, auth.ContractManager}

		check := func(t *testing.T, stage string, opened bool) {
			t.Helper()
			for name, b := range own {
				other := f.manila
				if b.name() == f.manila.name() {
					other = f.bogota
				}
				// Its own provider sees all of it, always.
				got, err := e.client.GetProposal(b.ctx, &catalogv1.GetProposalRequest{Name: name})
				if err != nil || got.GetSealed() || got.GetPricing() == nil || got.GetEtag() == "" {
					t.Errorf("%s: its own provider sees %v (%v), want all of it", stage, got, err)
				}
				revs, err := e.client.ListProposalRevisions(b.ctx, &catalogv1.ListProposalRevisionsRequest{Parent: name})
				if err != nil || len(revs.GetRevisions()) == 0 || revs.GetRevisions()[0].GetPricing() == nil {
					t.Errorf("%s: its own provider lists revisions %v (%v), want all of them", stage, revs.GetRevisions(), err)
				}
				// Another provider sees nothing, ever: not the proposal, its
				// revisions, its evaluations, nor the provider's notifications.
				_, err = e.client.GetProposal(other.ctx, &catalogv1.GetProposalRequest{Name: name})
				wantCode(t, err, codes.PermissionDenied)
				_, err = e.client.ListProposalRevisions(other.ctx, &catalogv1.ListProposalRevisionsRequest{Parent: name})
				wantCode(t, err, codes.PermissionDenied)
				_, err = e.client.ListEvaluations(other.ctx, &catalogv1.ListEvaluationsRequest{Parent: name})
				wantCode(t, err, codes.PermissionDenied)
				_, err = e.client.ListEvaluations(b.ctx, &catalogv1.ListEvaluationsRequest{Parent: name})
				wantCode(t, err, codes.PermissionDenied)
				_, err = e.client.ListNotifications(other.ctx, &catalogv1.ListNotificationsRequest{Parent: b.name()})
				wantCode(t, err, codes.PermissionDenied)
				// Staff — admins included — read revisions and evaluations
				// only once the proposal is opened.
				for _, role := range staffRoles {
					revs, err := e.client.ListProposalRevisions(e.as(t, role), &catalogv1.ListProposalRevisionsRequest{Parent: name})
					evals, eerr := e.client.ListEvaluations(e.as(t, role), &catalogv1.ListEvaluationsRequest{Parent: name})
					if !opened {
						wantStatus(t, err, codes.FailedPrecondition, "sealed")
						wantStatus(t, eerr, codes.FailedPrecondition, "sealed")
						continue
					}
					if err != nil || len(revs.GetRevisions()) == 0 || revs.GetRevisions()[0].GetPricing() == nil {
						t.Errorf("%s: %s lists revisions %v (%v)", stage, role, revs.GetRevisions(), err)
					}
					if eerr != nil || evals.GetProposalRevision() == 0 {
						t.Errorf("%s: %s lists evaluations %v (%v)", stage, role, evals, eerr)
					}
				}
				// Staff — admins included — see it sealed until the close.
				for _, role := range staffRoles {
					got, err := e.client.GetProposal(e.as(t, role), &catalogv1.GetProposalRequest{Name: name})
					must(t, stage+" get as "+string(role), err)
					if opened {
						if got.GetSealed() || got.GetPricing() == nil || got.GetTotalContractValue() == nil {
							t.Errorf("%s: %s sees %v, want it unsealed", stage, role, got)
						}
						continue
					}
					sealed := &catalogv1.Proposal{Name: name, Provider: b.name(), State: got.GetState(), SubmitTime: got.GetSubmitTime(), Sealed: true}
					if !proto.Equal(got, sealed) || got.GetSubmitTime() == nil {
						t.Errorf("%s: %s sees %v, want only name, provider, state, submit time and sealed", stage, role, got)
					}
				}
			}
			for _, b := range []bidder{f.manila, f.bogota} {
				list, err := e.client.ListProposals(b.ctx, &catalogv1.ListProposalsRequest{Parent: ev.GetName()})
				must(t, stage+" provider lists", err)
				if len(list.GetProposals()) != 1 || list.GetProposals()[0].GetProvider() != b.name() || list.GetProposals()[0].GetSealed() {
					t.Errorf("%s: %s lists %v, want only its own, unsealed", stage, b.provider.GetDisplayName(), list.GetProposals())
				}
				_, err = e.client.GetRanking(b.ctx, &catalogv1.GetRankingRequest{Name: rankingOf(t, ev.GetName())})
				wantCode(t, err, codes.PermissionDenied)
			}
			list, err := e.client.ListProposals(e.as(t, auth.Admin), &catalogv1.ListProposalsRequest{Parent: ev.GetName()})
			must(t, stage+" admin lists", err)
			for _, p := range list.GetProposals() {
				if p.GetSealed() == opened || (p.GetPricing() != nil) != opened {
					t.Errorf("%s: the admin lists %v", stage, p)
				}
			}
			_, err = e.client.GetRanking(e.as(t, auth.Admin), &catalogv1.GetRankingRequest{Name: rankingOf(t, ev.GetName())})
			if !opened {
				wantStatus(t, err, codes.FailedPrecondition, "sealed until it is CLOSED")
			} else if err != nil {
				t.Errorf("%s: ranking: %v", stage, err)
			}
		}

		check(t, "PUBLISHED", false)
		// A revision: its audit record has a before as well as an after.
		revised := fixedPrice(f.manila, 9_000_000)
		revised.Name, revised.Etag = pa.GetName(), pa.GetEtag()
		_, err := e.client.UpdateProposal(f.manila.ctx, &catalogv1.UpdateProposalRequest{Proposal: revised})
		must(t, "revise", err)
		check(t, "PUBLISHED, revised", false)
		// The audit log, which auditors and admins read, holds no price.
		audit, err := e.client.ListAuditEvents(e.as(t, auth.Auditor), &catalogv1.ListAuditEventsRequest{Filter: `resource = "` + pa.GetName() + `"`, PageSize: 1000})
		must(t, "audit", err)
		if len(audit.GetAuditEvents()) != 2 {
			t.Fatalf("%d audit records of the submission and its revision, want 2", len(audit.GetAuditEvents()))
		}
		for _, a := range audit.GetAuditEvents() {
			for _, s := range []string{a.GetBefore().String(), a.GetAfter().String()} {
				if strings.Contains(s, "monthlyFee") || strings.Contains(s, "Manila") || strings.Contains(s, "0000000") || strings.Contains(s, "revision") {
					t.Errorf("the audit record of a sealed proposal holds its content: %s", s)
				}
			}
		}

		// A provider never sees a proposal of another provider's event
		// either: the Chicago bidder is not invited.
		_, err = e.client.GetSourcingEvent(f.chicago.ctx, &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.ListProposals(f.chicago.ctx, &catalogv1.ListProposalsRequest{Parent: ev.GetName()})
		wantCode(t, err, codes.PermissionDenied)

		e.clock.Advance(8 * 24 * time.Hour)
		_, err = e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		must(t, "close", err)
		check(t, "CLOSED", true)

		for _, s := range []struct {
			who, proposal string
		}{{"eva", pa.GetName()}, {"ed", pa.GetName()}, {"eva", pb.GetName()}, {"ed", pb.GetName()}} {
			must(t, "score", e.score(t, s.who, s.proposal, 7, 7, 7, 7, 7))
		}
		check(t, "EVALUATED", true)

		// Equal scores: the cheaper Manila proposal ranks first.
		_, err = e.client.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: ev.GetName(), Proposal: pa.GetName()})
		must(t, "award", err)
		_, err = e.client.ApproveAward(e.as(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: ev.GetName()})
		must(t, "approve", err)
		check(t, "AWARDED", true)

		// The loser learns only that it was not selected.
		got, err := e.client.GetProposal(f.bogota.ctx, &catalogv1.GetProposalRequest{Name: pb.GetName()})
		if err != nil || got.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_NOT_SELECTED {
			t.Errorf("the unsuccessful provider's proposal is %v (%v), want NOT_SELECTED", got.GetState(), err)
		}
		// … told by a notification that names no other provider, price or score.
		notes, err := e.client.ListNotifications(f.bogota.ctx, &catalogv1.ListNotificationsRequest{Parent: f.bogota.name()})
		must(t, "notifications", err)
		if len(notes.GetNotifications()) != 1 || notes.GetNotifications()[0].GetKind() != catalogv1.NotificationKind_NOTIFICATION_KIND_NOT_SELECTED {
			t.Fatalf("Bogota's notifications %v, want one NOT_SELECTED", notes.GetNotifications())
		}
		for _, leak := range []string{f.manila.name(), pa.GetName(), "9000000", "USD", "rank", "score"} {
			if strings.Contains(notes.GetNotifications()[0].String(), leak) {
				t.Errorf("the notification %v holds %q", notes.GetNotifications()[0], leak)
			}
		}
	})
}

func TestCancelledBeforeTheCloseStaysSealed(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		ev := e.publishedEvent(t, f.eng.GetName(), f.manila, f.bogota)
		p := e.submit(t, ev.GetName(), f.manila, fixedPrice(f.manila, 10_000_000))
		_, err := e.client.CancelSourcingEvent(sm, &catalogv1.CancelSourcingEventRequest{Name: ev.GetName(), Reason: "  "})
		wantViolations(t, err, "reason")
		cancelled, err := e.client.CancelSourcingEvent(sm, &catalogv1.CancelSourcingEventRequest{Name: ev.GetName(), Reason: "budget withdrawn"})
		must(t, "cancel", err)
		if cancelled.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CANCELLED || cancelled.GetCancelReason() != "budget withdrawn" {
			t.Fatalf("cancelled %v", cancelled)
		}
		got, err := e.client.GetProposal(e.as(t, auth.Admin), &catalogv1.GetProposalRequest{Name: p.GetName()})
		if err != nil || !got.GetSealed() || got.GetPricing() != nil {
			t.Errorf("after a cancel before the close, the admin sees %v (%v), want it sealed", got, err)
		}
		_, err = e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		wantStatus(t, err, codes.FailedPrecondition, "cannot close a sourcing event that is CANCELLED")
		_, err = e.client.CancelSourcingEvent(sm, &catalogv1.CancelSourcingEventRequest{Name: ev.GetName(), Reason: "again"})
		wantStatus(t, err, codes.FailedPrecondition, "CANCELLED")
	})
}

func TestProposalRules(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		create := func(b bidder, event string, p *catalogv1.Proposal) (*catalogv1.Proposal, error) {
			return e.client.CreateProposal(b.ctx, &catalogv1.CreateProposalRequest{Parent: event, Proposal: p})
		}

		draft, err := e.client.CreateSourcingEvent(sm, &catalogv1.CreateSourcingEventRequest{SourcingEvent: e.newEvent(f.eng.GetName(), f.manila)})
		must(t, "create", err)
		_, err = create(f.manila, draft.GetName(), fixedPrice(f.manila, 100))
		wantStatus(t, err, codes.PermissionDenied, "not published yet")

		ev := e.publishedEvent(t, f.eng.GetName(), f.manila, f.bogota)
		_, err = create(f.chicago, ev.GetName(), fixedPrice(f.chicago, 100))
		wantStatus(t, err, codes.PermissionDenied, f.chicago.name()+" is not invited")
		_, err = e.client.CreateProposal(e.as(t, auth.Admin), &catalogv1.CreateProposalRequest{Parent: ev.GetName(), Proposal: fixedPrice(f.manila, 100)})
		wantStatus(t, err, codes.PermissionDenied, "only a provider user")

		tm := fixedPrice(f.manila, 100)
		tm.Pricing.Model = catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS
		_, err = create(f.manila, ev.GetName(), tm)
		wantViolations(t, err, "proposal.pricing.monthly_fee", "proposal.pricing.rate_card")
		wantStatus(t, err, codes.InvalidArgument, "belongs to FIXED_PRICE pricing")
		elsewhere := fixedPrice(f.manila, 100)
		elsewhere.DeliveryCenters = []string{"Bogota"}
		_, err = create(f.manila, ev.GetName(), elsewhere)
		wantViolations(t, err, "proposal.delivery_centers[0]")
		unknownLevel := fixedPrice(f.manila, 100)
		unknownLevel.ServiceLevels = append(unknownLevel.ServiceLevels, &catalogv1.ProposedServiceLevel{Key: "fcr", Target: "70"})
		_, err = create(f.manila, ev.GetName(), unknownLevel)
		wantViolations(t, err, "proposal.service_levels[1].key")

		first, err := create(f.manila, ev.GetName(), fixedPrice(f.manila, 10_000_000))
		must(t, "submit", err)
		_, err = create(f.manila, ev.GetName(), fixedPrice(f.manila, 9_000_000))
		wantStatus(t, err, codes.AlreadyExists, "UpdateProposal")

		// A revision: a lower fee, kept as revision 2.
		upd := &catalogv1.Proposal{Name: first.GetName(), Etag: first.GetEtag(), Pricing: fixedPrice(f.manila, 9_500_000).GetPricing()}
		second, err := e.client.UpdateProposal(f.manila.ctx, &catalogv1.UpdateProposalRequest{Proposal: upd})
		must(t, "revise", err)
		if second.GetRevision() != 2 || second.GetTotalContractValue().GetMinorUnits() != 9_500_000*36 || second.GetNotes() != "Our best offer" || second.GetEtag() == first.GetEtag() {
			t.Fatalf("revision %v", second)
		}
		_, err = e.client.UpdateProposal(f.manila.ctx, &catalogv1.UpdateProposalRequest{Proposal: upd})
		wantCode(t, err, codes.Aborted)
		_, err = e.client.UpdateProposal(f.bogota.ctx, &catalogv1.UpdateProposalRequest{Proposal: &catalogv1.Proposal{Name: first.GetName(), Notes: "mine now"}})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.UpdateProposal(f.manila.ctx, &catalogv1.UpdateProposalRequest{Proposal: &catalogv1.Proposal{Name: first.GetName(), State: catalogv1.ProposalState_PROPOSAL_STATE_AWARDED}})
		if err != nil {
			// An empty mask names only the updatable fields set: a set
			// output-only field is ignored, nothing changes but the revision.
			t.Fatalf("update with only an output-only field set: %v", err)
		}

		// Not every invited provider has submitted: no early close.
		_, err = e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		wantStatus(t, err, codes.FailedPrecondition, f.bogota.name())

		e.clock.Advance(8 * 24 * time.Hour)
		_, err = create(f.bogota, ev.GetName(), fixedPrice(f.bogota, 100))
		wantStatus(t, err, codes.FailedPrecondition, "deadline", "late proposals are not accepted")
		_, err = e.client.UpdateProposal(f.manila.ctx, &catalogv1.UpdateProposalRequest{Proposal: &catalogv1.Proposal{Name: first.GetName(), Notes: "too late"}})
		wantStatus(t, err, codes.FailedPrecondition, "late proposals are not accepted")

		closed, err := e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		must(t, "close after the deadline", err)
		if closed.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED {
			t.Fatalf("closed %v", closed.GetState())
		}
		_, err = create(f.bogota, ev.GetName(), fixedPrice(f.bogota, 100))
		wantStatus(t, err, codes.FailedPrecondition, "is CLOSED")
		got, err := e.client.GetProposal(sm, &catalogv1.GetProposalRequest{Name: first.GetName()})
		if err != nil || got.GetRevision() != 3 || got.GetPricing().GetMonthlyFee().GetMinorUnits() != 9_500_000 {
			t.Errorf("after the close the sourcing manager sees %v (%v), want the latest revision (3)", got, err)
		}
	})
}

func TestComplianceGateAtTheClose(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		lisbon := e.newBidder(t, "Lisbon BPO", "PT", "Lisbon", "Europe/Lisbon")
		ev := e.publishedEvent(t, f.eng.GetName(), f.manila, f.bogota, f.chicago, lisbon)
		e.submit(t, ev.GetName(), f.manila, fixedPrice(f.manila, 10_000_000))
		worse := fixedPrice(f.bogota, 12_000_000)
		worse.ServiceLevels[0].Target = "75"
		e.submit(t, ev.GetName(), f.bogota, worse)
		e.submit(t, ev.GetName(), f.chicago, fixedPrice(f.chicago, 15_000_000))
		e.submit(t, ev.GetName(), lisbon, fixedPrice(lisbon, 11_000_000))
		// Manila is suspended after submitting.
		_, err := e.client.SuspendProvider(sm, &catalogv1.SuspendProviderRequest{Name: f.manila.name(), Reason: "investigation"})
		must(t, "suspend", err)

		_, err = e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		must(t, "close", err)
		want := map[string][]string{
			f.manila.name():  {"is SUSPENDED, not ACTIVE"},
			f.bogota.name():  {"asa_20s is proposed at 75, worse than the scope's target at least 80"},
			f.chicago.name(): nil,
			lisbon.name():    {`"Lisbon" is in PT, outside the allowed data countries (US, PH, CO)`},
		}
		list, err := e.client.ListProposals(sm, &catalogv1.ListProposalsRequest{Parent: ev.GetName()})
		must(t, "list", err)
		for _, p := range list.GetProposals() {
			reasons := want[p.GetProvider()]
			wantState := catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED
			if reasons != nil {
				wantState = catalogv1.ProposalState_PROPOSAL_STATE_DISQUALIFIED
			}
			if p.GetState() != wantState || len(p.GetDisqualificationReasons()) != len(reasons) {
				t.Errorf("%s: %v %q, want %v %q", p.GetProvider(), p.GetState(), p.GetDisqualificationReasons(), wantState, reasons)
				continue
			}
			for i, r := range reasons {
				if !strings.Contains(p.GetDisqualificationReasons()[i], r) {
					t.Errorf("%s: reason %q, want %q", p.GetProvider(), p.GetDisqualificationReasons()[i], r)
				}
			}
		}
		qualified, err := e.client.ListProposals(sm, &catalogv1.ListProposalsRequest{Parent: ev.GetName(), Filter: "state = QUALIFIED"})
		if err != nil || len(qualified.GetProposals()) != 1 || qualified.GetProposals()[0].GetProvider() != f.chicago.name() {
			t.Errorf("filter state = QUALIFIED: %v (%v), want Chicago's only", qualified.GetProposals(), err)
		}
		// Only qualified proposals are scored and ranked.
		err = e.score(t, "eva", proposalOf(t, ev.GetName(), f.bogota), 5, 5, 5, 5, 5)
		wantStatus(t, err, codes.FailedPrecondition, "only QUALIFIED proposals are scored")
		r, err := e.client.GetRanking(sm, &catalogv1.GetRankingRequest{Name: rankingOf(t, ev.GetName())})
		if err != nil || len(r.GetProposals()) != 1 || r.GetComplete() {
			t.Errorf("ranking %v (%v), want Chicago's only, incomplete", r, err)
		}
	})
}

func TestScoringModerationAndAward(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		ev := e.publishedEvent(t, f.eng.GetName(), f.manila, f.bogota)
		pa := e.submit(t, ev.GetName(), f.manila, fixedPrice(f.manila, 10_000_000))
		pb := e.submit(t, ev.GetName(), f.bogota, fixedPrice(f.bogota, 12_000_000))

		err := e.score(t, "eva", pa.GetName(), 5, 5, 5, 5, 5)
		wantStatus(t, err, codes.FailedPrecondition, "is PUBLISHED")
		_, err = e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		must(t, "close", err)

		err = e.score(t, "mallory", pa.GetName(), 5, 5, 5, 5, 5)
		wantStatus(t, err, codes.PermissionDenied, "mallory is not an evaluator")
		_, err = e.client.ScoreProposal(e.asUser(t, "eva", auth.Evaluator), &catalogv1.ScoreProposalRequest{Name: pa.GetName(), Scores: []*catalogv1.CriterionScore{
			{Criterion: catalogv1.Criterion_CRITERION_EXPERTISE, Score: 5},
		}})
		wantViolations(t, err, "scores")
		_, err = e.client.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: ev.GetName(), Proposal: pa.GetName()})
		wantStatus(t, err, codes.FailedPrecondition, "is CLOSED")

		// eva 2 and ed 7 on expertise for A: 5 points apart.
		must(t, "score", e.score(t, "eva", pa.GetName(), 2, 7, 7, 7, 7))
		must(t, "score", e.score(t, "ed", pa.GetName(), 7, 7, 7, 7, 7))
		must(t, "score", e.score(t, "eva", pb.GetName(), 7, 7, 7, 7, 7))
		must(t, "score", e.score(t, "ed", pb.GetName(), 7, 7, 7, 7, 7))
		got, err := e.client.GetSourcingEvent(sm, &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
		if err != nil || got.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED {
			t.Fatalf("with a spread of 5 points the event is %v (%v), want CLOSED until moderated", got.GetState(), err)
		}
		r, err := e.client.GetRanking(sm, &catalogv1.GetRankingRequest{Name: rankingOf(t, ev.GetName())})
		must(t, "ranking", err)
		var flagged []string
		for _, rp := range r.GetProposals() {
			for _, c := range rp.GetCriteria() {
				if c.GetNeedsModeration() {
					flagged = append(flagged, rp.GetProposal()+" "+c.GetCriterion().String()+" "+c.GetScore())
				}
			}
		}
		if !r.GetComplete() || !r.GetNeedsModeration() || len(flagged) != 1 || flagged[0] != pa.GetName()+" CRITERION_EXPERTISE 4.50" {
			t.Fatalf("ranking complete %v, needs moderation %v, flagged %v; want complete, flagged A's expertise at (2+7)/2 = 4.50", r.GetComplete(), r.GetNeedsModeration(), flagged)
		}
		// eva revises to 4 (3 points apart): the event is evaluated.
		must(t, "revise", e.score(t, "eva", pa.GetName(), 4, 7, 7, 7, 7))
		got, err = e.client.GetSourcingEvent(sm, &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
		if err != nil || got.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED {
			t.Fatalf("after the revision the event is %v (%v), want EVALUATED", got.GetState(), err)
		}
		err = e.score(t, "eva", pa.GetName(), 9, 9, 9, 9, 9)
		wantStatus(t, err, codes.FailedPrecondition, "is EVALUATED")

		// A: expertise (4+7)/2 = 5.5, the rest 7, location 4 (Manila),
		// cost 10: (20×5.5 + 10×7×3 + 15×7 + 5×4 + 30×10) / 10 = (110 +
		// 210 + 105 + 20 + 300) / 10 = 74.50.
		// B: all 7, location 7 (Bogotá), cost 10 × 3.6/4.32 = 25/3:
		// (20×7 + 210 + 105 + 35 + 250) / 10 = 74.00.
		r, err = e.client.GetRanking(sm, &catalogv1.GetRankingRequest{Name: rankingOf(t, ev.GetName())})
		must(t, "ranking", err)
		if r.GetProposals()[0].GetProposal() != pa.GetName() || r.GetProposals()[0].GetTotal() != "74.50" || r.GetProposals()[1].GetTotal() != "74.00" {
			t.Fatalf("ranking %v, want A 74.50 then B 74.00", r.GetProposals())
		}

		_, err = e.client.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: ev.GetName(), Proposal: pb.GetName()})
		wantStatus(t, err, codes.FailedPrecondition, "ranks 2 (total 74.00)", "needs a justification")
		_, err = e.client.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: ev.GetName(), Proposal: "sourcingEvents/other/proposals/x"})
		wantViolations(t, err, "proposal")

		// The sourcing manager who is also an approver proposes it …
		both := e.as(t, auth.SourcingManager, auth.Approver)
		awarded, err := e.client.AwardSourcingEvent(both, &catalogv1.AwardSourcingEventRequest{Name: ev.GetName(), Proposal: pb.GetName(), Justification: "nearshore overlap for the client's escalations"})
		must(t, "award with a justification", err)
		if awarded.GetAward().GetJustification() != "nearshore overlap for the client's escalations" {
			t.Errorf("award %v", awarded.GetAward())
		}
		// … and cannot approve it.
		_, err = e.client.ApproveAward(both, &catalogv1.ApproveAwardRequest{Name: ev.GetName()})
		wantStatus(t, err, codes.PermissionDenied, "an approver cannot approve an award they proposed")
		_, err = e.client.ApproveAward(sm, &catalogv1.ApproveAwardRequest{Name: ev.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.ApproveAward(e.as(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: ev.GetName(), Etag: ev.GetEtag()})
		wantCode(t, err, codes.Aborted)
		approved, err := e.client.ApproveAward(e.as(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: ev.GetName(), Etag: awarded.GetEtag(), RequestId: "approve-1"})
		must(t, "approve", err)
		again, err := e.client.ApproveAward(e.as(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: ev.GetName(), Etag: awarded.GetEtag(), RequestId: "approve-1"})
		if err != nil || !proto.Equal(again, approved) {
			t.Errorf("retry of the approval = %v, %v; want the first answer", again, err)
		}
		eng, err := e.client.GetEngagement(sm, &catalogv1.GetEngagementRequest{Name: f.eng.GetName()})
		if err != nil || eng.GetAward().GetProvider() != f.bogota.name() || eng.GetAward().GetTotalScore() != "74.00" {
			t.Errorf("engagement award %v (%v), want Bogotá at 74.00", eng.GetAward(), err)
		}

		// A second event of the same engagement cannot be awarded again.
		ev2 := e.publishedEvent(t, f.eng.GetName(), f.chicago)
		p2 := e.submit(t, ev2.GetName(), f.chicago, fixedPrice(f.chicago, 15_000_000))
		_, err = e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev2.GetName()})
		must(t, "close 2", err)
		must(t, "score", e.score(t, "eva", p2.GetName(), 7, 7, 7, 7, 7))
		must(t, "score", e.score(t, "ed", p2.GetName(), 7, 7, 7, 7, 7))
		_, err = e.client.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: ev2.GetName(), Proposal: p2.GetName()})
		must(t, "award 2", err)
		_, err = e.client.ApproveAward(e.as(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: ev2.GetName()})
		wantStatus(t, err, codes.FailedPrecondition, "already awarded")
	})
}

func TestProvidersSeeOnlyTheirEvents(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		pub := e.publishedEvent(t, f.eng.GetName(), f.manila, f.bogota)
		_, err := e.client.CreateSourcingEvent(sm, &catalogv1.CreateSourcingEventRequest{SourcingEvent: e.newEvent(f.eng.GetName(), f.manila)}) // a DRAFT
		must(t, "create draft", err)
		other := e.publishedEvent(t, f.eng.GetName(), f.chicago)

		list := func(ctx context.Context, filter string) []string {
			t.Helper()
			resp, err := e.client.ListSourcingEvents(ctx, &catalogv1.ListSourcingEventsRequest{Filter: filter})
			must(t, "list events", err)
			var names []string
			for _, ev := range resp.GetSourcingEvents() {
				names = append(names, ev.GetName())
			}
			return names
		}
		if got := list(f.manila.ctx, ""); len(got) != 1 || got[0] != pub.GetName() {
			t.Errorf("Manila lists %v, want only %s (invited, published)", got, pub.GetName())
		}
		if got := list(f.chicago.ctx, ""); len(got) != 1 || got[0] != other.GetName() {
			t.Errorf("Chicago lists %v, want only %s", got, other.GetName())
		}
		if got := list(sm, ""); len(got) != 3 {
			t.Errorf("the sourcing manager lists %v, want all three", got)
		}
		if got := list(sm, "state = DRAFT"); len(got) != 1 {
			t.Errorf("state = DRAFT lists %v, want one", got)
		}
		if got := list(sm, `engagement = "`+f.eng.GetName()+`" AND state = SOURCING_EVENT_STATE_PUBLISHED`); len(got) != 2 {
			t.Errorf("published of the engagement lists %v, want two", got)
		}
		seen, err := e.client.GetSourcingEvent(f.manila.ctx, &catalogv1.GetSourcingEventRequest{Name: pub.GetName()})
		must(t, "get", err)
		if len(seen.GetInvitedProviders()) != 1 || seen.GetInvitedProviders()[0] != f.manila.name() || len(seen.GetEvaluators()) != 0 {
			t.Errorf("Manila sees invited %v and evaluators %v; want only itself and no evaluators", seen.GetInvitedProviders(), seen.GetEvaluators())
		}
		_, err = e.client.GetSourcingEvent(f.manila.ctx, &catalogv1.GetSourcingEventRequest{Name: other.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		// An event that does not exist is refused alike: a provider cannot
		// probe for the events it is not invited to.
		_, err = e.client.GetSourcingEvent(f.manila.ctx, &catalogv1.GetSourcingEventRequest{Name: "sourcingEvents/nowhere"})
		wantStatus(t, err, codes.PermissionDenied, "is not invited to sourcingEvents/nowhere")
		_, err = e.client.ListProposals(f.manila.ctx, &catalogv1.ListProposalsRequest{Parent: "sourcingEvents/nowhere"})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.client.GetSourcingEvent(sm, &catalogv1.GetSourcingEventRequest{Name: "sourcingEvents/nowhere"})
		wantCode(t, err, codes.NotFound)
	})
}

func TestSelectIsAudited(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm, auditor := e.as(t, auth.SourcingManager), e.as(t, auth.Auditor)
		ev := e.publishedEvent(t, f.eng.GetName(), f.chicago)
		p := e.submit(t, ev.GetName(), f.chicago, fixedPrice(f.chicago, 15_000_000))
		_, err := e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		must(t, "close", err)
		must(t, "score", e.score(t, "eva", p.GetName(), 7, 7, 7, 7, 7))
		must(t, "score", e.score(t, "ed", p.GetName(), 7, 7, 7, 7, 7))
		_, err = e.client.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: ev.GetName(), Proposal: p.GetName()})
		must(t, "award", err)
		_, err = e.client.ApproveAward(e.as(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: ev.GetName()})
		must(t, "approve", err)

		resp, err := e.client.ListAuditEvents(auditor, &catalogv1.ListAuditEventsRequest{PageSize: 1000})
		must(t, "audit", err)
		count := map[string]int{}
		for _, a := range resp.GetAuditEvents() {
			m := a.GetMethod()[strings.LastIndex(a.GetMethod(), "/")+1:]
			count[m+" "+a.GetResource()]++
		}
		for _, want := range []string{
			"CreateSourcingEvent " + ev.GetName(),
			"PublishSourcingEvent " + ev.GetName(),
			"CreateProposal " + p.GetName(),
			"CloseSourcingEvent " + ev.GetName(),
			"CloseSourcingEvent " + p.GetName(),
			"ScoreProposal " + p.GetName() + "/evaluations/eva",
			"ScoreProposal " + p.GetName() + "/evaluations/ed",
			"ScoreProposal " + ev.GetName(), // → EVALUATED
			"AwardSourcingEvent " + ev.GetName(),
			"ApproveAward " + ev.GetName(),
			"ApproveAward " + p.GetName(),
			"ApproveAward " + f.eng.GetName(),
		} {
			if count[want] != 1 {
				t.Errorf("%d audit records of %q, want 1", count[want], want)
			}
		}
		v, err := e.client.VerifyAuditLog(auditor, &catalogv1.VerifyAuditLogRequest{})
		if err != nil || !v.GetVerification().GetIntact() {
			t.Errorf("audit log verification %v (%v)", v, err)
		}
	})
}

// TestConcurrentLastScores: evaluators scoring at the same moment must not
// each miss the other's score and leave the event CLOSED for good.
func TestConcurrentLastScores(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		in := e.newEvent(f.eng.GetName(), f.chicago)
		in.Evaluators = []string{"e1", "e2", "e3", "e4", "e5", "e6"}
		ev, err := e.client.CreateSourcingEvent(sm, &catalogv1.CreateSourcingEventRequest{SourcingEvent: in})
		must(t, "create", err)
		_, err = e.client.PublishSourcingEvent(sm, &catalogv1.PublishSourcingEventRequest{Name: ev.GetName()})
		must(t, "publish", err)
		p := e.submit(t, ev.GetName(), f.chicago, fixedPrice(f.chicago, 15_000_000))
		_, err = e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		must(t, "close", err)

		errs := make(chan error, len(in.Evaluators))
		for _, who := range in.Evaluators {
			ctx := e.asUser(t, who, auth.Evaluator)
			go func() {
				_, err := e.client.ScoreProposal(ctx, &catalogv1.ScoreProposalRequest{Name: p.GetName(), Scores: []*catalogv1.CriterionScore{
					{Criterion: catalogv1.Criterion_CRITERION_EXPERTISE, Score: 7}, {Criterion: catalogv1.Criterion_CRITERION_TECHNOLOGY, Score: 7},
					{Criterion: catalogv1.Criterion_CRITERION_COMMUNICATION, Score: 7}, {Criterion: catalogv1.Criterion_CRITERION_SCALABILITY, Score: 7},
					{Criterion: catalogv1.Criterion_CRITERION_SECURITY_COMPLIANCE, Score: 7},
				}})
				errs <- err
			}()
		}
		for range in.Evaluators {
			must(t, "concurrent score", <-errs)
		}
		got, err := e.client.GetSourcingEvent(sm, &catalogv1.GetSourcingEventRequest{Name: ev.GetName()})
		if err != nil || got.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED {
			t.Fatalf("after six concurrent scores the event is %v (%v), want EVALUATED", got.GetState(), err)
		}
	})
}

// TestProvidersReadTheScopeTheyBidOnAndTheEngagementTheyWon: a provider
// user reads the scope revision an event it is invited to was published on
// (the RFP it bids on), and the engagement and its scope once the award to
// it is approved; nothing of an engagement it neither bids on nor won, not
// even whether it exists.
func TestProvidersReadTheScopeTheyBidOnAndTheEngagementTheyWon(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		eng, scopeName := f.eng.GetName(), scopeOf(t, f.eng.GetName())
		ev := e.publishedEvent(t, eng, f.manila, f.bogota)
		// After publishing on revision 1, the sourcing manager starts a
		// DRAFT revision 2: the bidders still bid on revision 1.
		draft := sourcingScope(scopeName)
		draft.Deliverables[0].ExpectedMonthlyVolume = 90_000
		if _, err := e.client.UpdateScope(sm, &catalogv1.UpdateScopeRequest{Scope: draft}); err != nil {
			t.Fatalf("UpdateScope: %v", err)
		}

		type row struct {
			name         string
			who          bidder
			get          string // "engagement", "scope" or "nowhere" (an engagement that does not exist)
			revision     int64
			want         codes.Code
			wantRevision int64
		}
		check := func(t *testing.T, rows []row) {
			t.Helper()
			for _, r := range rows {
				t.Run(r.name, func(t *testing.T) {
					var err error
					var got int64
					switch r.get {
					case "engagement":
						var en *catalogv1.Engagement
						en, err = e.client.GetEngagement(r.who.ctx, &catalogv1.GetEngagementRequest{Name: eng})
						if err == nil && en.GetAward().GetProvider() != r.who.name() {
							t.Errorf("%s reads the engagement awarded to %q", r.who.name(), en.GetAward().GetProvider())
						}
					case "scope":
						var sc *catalogv1.Scope
						sc, err = e.client.GetScope(r.who.ctx, &catalogv1.GetScopeRequest{Name: scopeName, Revision: r.revision})
						got = sc.GetRevision()
					case "nowhere":
						_, err = e.client.GetScope(r.who.ctx, &catalogv1.GetScopeRequest{Name: "engagements/nowhere/scope", Revision: r.revision})
					}
					wantCode(t, err, r.want)
					if r.want == codes.OK && got != r.wantRevision {
						t.Errorf("revision %d, want %d", got, r.wantRevision)
					}
				})
			}
		}

		t.Run("while bidding", func(t *testing.T) {
			check(t, []row{
				{"an invited provider reads the revision its event was published on", f.manila, "scope", 1, codes.OK, 1},
				{"an invited provider does not read the draft that followed", f.manila, "scope", 2, codes.PermissionDenied, 0},
				{"an invited provider asking for the latest, a draft, is refused", f.manila, "scope", 0, codes.PermissionDenied, 0},
				{"a provider not invited reads no revision", f.chicago, "scope", 1, codes.PermissionDenied, 0},
				{"a bidder does not read the engagement", f.manila, "engagement", 0, codes.PermissionDenied, 0},
				{"an engagement that does not exist is refused alike", f.manila, "nowhere", 1, codes.PermissionDenied, 0},
			})
		})

		e.submit(t, ev.GetName(), f.manila, fixedPrice(f.manila, 10_000_000))
		e.submit(t, ev.GetName(), f.bogota, fixedPrice(f.bogota, 12_000_000))
		_, err := e.client.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: ev.GetName()})
		must(t, "close", err)
		pa := proposalOf(t, ev.GetName(), f.manila)
		pb := proposalOf(t, ev.GetName(), f.bogota)
		for _, p := range []string{pa, pb} {
			must(t, "score", e.score(t, "eva", p, 7, 7, 7, 7, 7))
			must(t, "score", e.score(t, "ed", p, 7, 7, 7, 7, 7))
		}
		_, err = e.client.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: ev.GetName(), Proposal: pa})
		must(t, "award", err)
		t.Run("an award not yet approved opens nothing", func(t *testing.T) {
			check(t, []row{{"the proposed winner does not read the engagement", f.manila, "engagement", 0, codes.PermissionDenied, 0}})
		})
		_, err = e.client.ApproveAward(e.as(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: ev.GetName()})
		must(t, "approve", err)

		t.Run("after the award", func(t *testing.T) {
			check(t, []row{
				{"the awarded provider reads its engagement", f.manila, "engagement", 0, codes.OK, 0},
				{"the awarded provider reads the latest scope", f.manila, "scope", 0, codes.OK, 2},
				{"the awarded provider reads the revision it won on", f.manila, "scope", 1, codes.OK, 1},
				{"the unsuccessful provider does not read the engagement", f.bogota, "engagement", 0, codes.PermissionDenied, 0},
				{"the unsuccessful provider still reads the revision it bid on", f.bogota, "scope", 1, codes.OK, 1},
				{"the unsuccessful provider does not read the later draft", f.bogota, "scope", 2, codes.PermissionDenied, 0},
				{"a provider not invited reads nothing", f.chicago, "engagement", 0, codes.PermissionDenied, 0},
			})
			_, err := e.client.ListEngagements(f.manila.ctx, &catalogv1.ListEngagementsRequest{})
			wantCode(t, err, codes.PermissionDenied)
		})
	})
}

// TestSourcingOutputOnlyFieldsAreNeverStored: what a caller sends in an
// output-only field of an event or a proposal, on create or on update
// (named in the mask or not), is ignored and never stored (AIP-203).
func TestSourcingOutputOnlyFieldsAreNeverStored(t *testing.T) {
	forEachSourcingDialect(t, func(t *testing.T, e *sourcingEnv) {
		f := e.fixture(t)
		sm := e.as(t, auth.SourcingManager)
		forged := timestamppb.New(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))

		in := e.newEvent(f.eng.GetName(), f.manila)
		in.Name, in.State, in.ScopeRevision, in.CancelReason, in.Owner = "sourcingEvents/mine", catalogv1.SourcingEventState_SOURCING_EVENT_STATE_AWARDED, 7, "forged", "mallory"
		in.Award = &catalogv1.Award{Proposal: "sourcingEvents/mine/proposals/x", ApprovedBy: "mallory"}
		in.CreateTime, in.UpdateTime = forged, forged
		created, err := e.client.CreateSourcingEvent(sm, &catalogv1.CreateSourcingEventRequest{SourcingEvent: in})
		must(t, "create event", err)
		ev, err := e.client.GetSourcingEvent(sm, &catalogv1.GetSourcingEventRequest{Name: created.GetName()})
		must(t, "get event", err)
		if ev.GetName() == in.GetName() || ev.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_DRAFT || ev.GetScopeRevision() != 0 ||
			ev.GetCancelReason() != "" || ev.GetOwner() != "sourcing_manager" || ev.GetAward() != nil ||
			ev.GetCreateTime().AsTime().Year() == 2001 || ev.GetUpdateTime().AsTime().Year() == 2001 {
			t.Fatalf("stored event %v; want none of the caller's output-only values", ev)
		}
		ev, err = e.client.PublishSourcingEvent(sm, &catalogv1.PublishSourcingEventRequest{Name: ev.GetName()})
		must(t, "publish", err)

		p := fixedPrice(f.manila, 10_000_000)
		p.Name, p.Provider, p.State, p.Sealed, p.Revision = ev.GetName()+"/proposals/x", f.bogota.name(), catalogv1.ProposalState_PROPOSAL_STATE_AWARDED, true, 9
		p.TotalContractValue = &typev1.Money{CurrencyCode: "USD", MinorUnits: 1}
		p.DisqualificationReasons, p.ShoreModel, p.OverlapHours, p.SubmitTime = []string{"forged"}, catalogv1.ShoreModel_SHORE_MODEL_ONSHORE, 12, forged
		sent, err := e.client.CreateProposal(f.manila.ctx, &catalogv1.CreateProposalRequest{Parent: ev.GetName(), Proposal: p})
		must(t, "create proposal", err)
		if sent.GetName() == p.GetName() {
			t.Fatalf("the proposal is named %s, as its caller named it", sent.GetName())
		}
		wantServers := func(t *testing.T, got *catalogv1.Proposal, revision int64) {
			t.Helper()
			if got.GetName() != sent.GetName() || got.GetProvider() != f.manila.name() || got.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED ||
				got.GetSealed() || got.GetRevision() != revision || got.GetTotalContractValue().GetMinorUnits() == 1 ||
				len(got.GetDisqualificationReasons()) != 0 || got.GetShoreModel() != catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE ||
				got.GetOverlapHours() == 12 || got.GetSubmitTime().AsTime().Year() == 2001 {
				t.Fatalf("stored proposal %v; want none of the caller's output-only values", got)
			}
		}
		stored, err := e.client.GetProposal(f.manila.ctx, &catalogv1.GetProposalRequest{Name: sent.GetName()})
		must(t, "get proposal", err)
		wantServers(t, stored, 1)

		// Named in the mask, output-only fields are ignored (AIP-134);
		// the one updatable field named changes.
		p.Name, p.Notes = sent.GetName(), "revised"
		_, err = e.client.UpdateProposal(f.manila.ctx, &catalogv1.UpdateProposalRequest{Proposal: p, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{
			"provider", "state", "sealed", "revision", "total_contract_value", "disqualification_reasons", "shore_model", "overlap_hours", "submit_time", "notes",
		}}})
		must(t, "update proposal", err)
		stored, err = e.client.GetProposal(f.manila.ctx, &catalogv1.GetProposalRequest{Name: sent.GetName()})
		must(t, "get proposal", err)
		wantServers(t, stored, 2)
		if stored.GetNotes() != "revised" {
			t.Errorf("notes %q, want the revision's", stored.GetNotes())
		}
	})
}
