package walk

// The sourcing event as a real RFP runs (issue 10): a fourth invitee
// declines, one bidder prices time and materials, the scope changes while
// the event is live and every bidder re-confirms, and the ranking comes
// with how robust its top two are.

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/protoenum"
)

// declinerProfile is a provider invited to the RFP that declines it.
func declinerProfile() *catalogv1.Provider {
	return &catalogv1.Provider{
		DisplayName: "Pampas Contact Center", LegalName: "Pampas Contact Center S.R.L.",
		Website: "https://pampas-contact.example", HqCountry: "AR", BillingCurrency: "USD",
		DeliveryCenters: []*catalogv1.DeliveryCenter{
			{Name: "Buenos Aires - Palermo", Country: "AR", TimeZone: "America/Argentina/Buenos_Aires", Languages: []string{"es", "en"}, SeatCapacity: 180},
		},
		Capabilities: []*catalogv1.Capability{{Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT, YearsOfExperience: 6, FteDeployed: 400}},
	}
}

// providerUser is the bidding user of a provider of the walk.
func providerUser(provider, display, title string) User {
	return User{
		Subject:  "bids@" + strings.ToLower(strings.Fields(display)[0]) + ".example",
		Roles:    []auth.Role{auth.ProviderUser},
		Provider: provider,
		Title:    title,
	}
}

// inviteDecliner registers the provider that will decline and returns its
// name, to be invited with the bidders.
func (w *Walk) inviteDecliner(ctx context.Context) (string, error) {
	var p catalogv1.Provider
	if err := w.do(ctx, w.Cast.SourcingManager, "POST", "/v1/providers", nil, declinerProfile(), &p); err != nil {
		return "", err
	}
	w.say("select", w.Cast.SourcingManager, "provider %s %q (%s), centers %s", p.GetName(), p.GetDisplayName(), p.GetHqCountry(), p.GetDeliveryCenters()[0].GetName())
	return p.GetName(), nil
}

// declineTheOthers: every invitee that is not one of the bidders declines,
// with its reason.
func (w *Walk) declineTheOthers(ctx context.Context, ev *catalogv1.SourcingEvent) error {
	for _, name := range ev.GetInvitedProviders() {
		if slices.ContainsFunc(w.Bidders, func(b *Bidder) bool { return b.Name == name }) {
			continue
		}
		u := providerUser(name, declinerProfile().GetDisplayName(), "provider AR")
		var got catalogv1.SourcingEvent
		if err := w.do(ctx, u, "POST", "/v1/"+w.Event+":decline", nil, &catalogv1.DeclineInvitationRequest{Reason: "No Spanish-and-English seats free before next quarter."}, &got); err != nil {
			return err
		}
		for _, d := range got.GetDeclinedInvitations() {
			w.say("select", u, "declined the invitation: %s", d.GetReason())
		}
	}
	return nil
}

// timeAndMaterials prices Andes CX's bid by the hour: agents USD 17.50 ×
// 7 600 h and team leads USD 30.00 × 600 h a month = USD 133 000 +
// USD 18 000 = USD 151 000 a month, its fixed fee's equal, capped at
// USD 160 000 a month.
func timeAndMaterials() *catalogv1.ProposalPricing {
	return &catalogv1.ProposalPricing{
		Model: catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS,
		RateCard: []*typev1.RateCardEntry{
			{Role: "agent", HourlyRate: usd(17_50), EstimatedMonthlyHours: 7_600},
			{Role: "team_lead", HourlyRate: usd(30_00), EstimatedMonthlyHours: 600},
		},
		MonthlyNotToExceed: usd(160_000_00),
	}
}

// describePricing says a proposal's price in a line.
func describePricing(pr *catalogv1.ProposalPricing) string {
	switch pr.GetModel() {
	case catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS:
		var roles []string
		for _, r := range pr.GetRateCard() {
			roles = append(roles, fmt.Sprintf("%s %s/h × %d h", r.GetRole(), money.Format(r.GetHourlyRate()), r.GetEstimatedMonthlyHours()))
		}
		return "time and materials: " + strings.Join(roles, " + ") + " a month"
	case catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED:
		return fmt.Sprintf("performance-based: %s a month, %s at risk, bonus pool %s", money.Format(pr.GetBaseMonthlyFee()), bps(pr.GetAtRiskBps()), money.Format(pr.GetBonusPool()))
	}
	return money.Format(pr.GetMonthlyFee()) + " a month"
}

// changeScopeWhileLive: the sourcing manager raises the e-mail and chat
// volume in the scope while the event is PUBLISHED; an approver approves
// revision 2, which moves the event to it and asks every bidder to
// confirm; each bidder confirms its proposal as it stands.
func (w *Walk) changeScopeWhileLive(ctx context.Context) error {
	e, err := w.engagement()
	if err != nil {
		return err
	}
	scope := e.ScopeResourceName().String()
	body := w.ScopeBody(scope)
	body.Deliverables[1].ExpectedMonthlyVolume = 36_000
	var sc catalogv1.Scope
	if err := w.do(ctx, w.Cast.SourcingManager, "PATCH", "/v1/"+scope, url.Values{"updateMask": {"deliverables"}}, body, &sc); err != nil {
		return err
	}
	if err := w.do(ctx, w.Cast.SourcingManager, "POST", "/v1/"+scope+":submit", nil, &catalogv1.SubmitScopeRequest{}, &sc); err != nil {
		return err
	}
	if err := w.do(ctx, w.Cast.Approver, "POST", "/v1/"+scope+":approve", nil, &catalogv1.ApproveScopeRequest{}, &sc); err != nil {
		return err
	}
	w.say("scope", w.Cast.Approver, "approved scope revision %d while the RFP is live: e-mail and chat now %d contacts a month", sc.GetRevision(), body.Deliverables[1].GetExpectedMonthlyVolume())
	var ev catalogv1.SourcingEvent
	if err := w.do(ctx, w.Cast.SourcingManager, "GET", "/v1/"+w.Event, nil, nil, &ev); err != nil {
		return err
	}
	var list catalogv1.ListProposalsResponse
	if err := w.do(ctx, w.Cast.SourcingManager, "GET", "/v1/"+w.Event+"/proposals", nil, nil, &list); err != nil {
		return err
	}
	waiting := 0
	for _, p := range list.GetProposals() {
		if p.GetState() == catalogv1.ProposalState_PROPOSAL_STATE_NEEDS_CONFIRMATION {
			waiting++
		}
	}
	w.say("select", w.Cast.SourcingManager, "the event follows scope revision %d: %d proposals NEEDS_CONFIRMATION until %s", ev.GetScopeRevision(), waiting, ev.GetProposalDeadline().AsTime().Format("2006-01-02"))
	for _, b := range w.Bidders {
		var p catalogv1.Proposal
		if err := w.do(ctx, b.User, "POST", "/v1/"+b.ProposalName+":confirm", nil, &catalogv1.ConfirmProposalRequest{}, &p); err != nil {
			return err
		}
		w.say("select", b.User, "re-confirmed %s against revision %d: %s", p.GetName(), ev.GetScopeRevision(), protoenum.Short(p.GetState()))
	}
	return nil
}

// robustnessLine says how robust the top two of the ranking are, with the
// providers named.
func (w *Walk) robustnessLine(r *catalogv1.Ranking) string {
	rb := r.GetRobustness()
	if rb == nil {
		return ""
	}
	lead, runner := w.labelOfProposal(r, rb.GetLeader()), w.labelOfProposal(r, rb.GetRunnerUp())
	if rb.GetChangePoints() == 0 {
		return fmt.Sprintf("robustness: no change of a single criterion's weight puts %s ahead of %s", runner, lead)
	}
	return fmt.Sprintf("robustness: %s stays ahead of %s until %s moves %+d points (%d → %d, the others rescaled to keep 100)",
		lead, runner, protoenum.Short(rb.GetCriterion()), rb.GetChangePoints(), rb.GetWeight(), rb.GetWeight()+rb.GetChangePoints())
}

func (w *Walk) labelOfProposal(r *catalogv1.Ranking, proposal string) string {
	for _, p := range r.GetProposals() {
		if p.GetProposal() == proposal {
			return w.label(p.GetProvider())
		}
	}
	return proposal
}
