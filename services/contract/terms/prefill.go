package terms

import (
	"slices"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
)

// Credit-regime defaults. spec: contract.md, "credit regime".
const (
	DefaultAtRiskBps      = 1200 // 12 % of the period's charges
	DefaultChronicMisses  = 3    // a critical level missed in 3 …
	DefaultChronicWindow  = 6    // … of the last 6 periods
	DefaultEarnBackPeriod = 0    // no earn-back
	// DefaultBreachNotificationHours is the breach notification pre-filled
	// for confidential and regulated data: GDPR's 72 hours (Art. 33).
	DefaultBreachNotificationHours = 72
)

// DefaultCreditRegime is the regime a new draft starts with.
func DefaultCreditRegime() *contractv1.CreditRegime {
	return &contractv1.CreditRegime{
		AtRiskBps:       DefaultAtRiskBps,
		EarnBackPeriods: DefaultEarnBackPeriod,
		ChronicMisses:   DefaultChronicMisses,
		ChronicWindow:   DefaultChronicWindow,
	}
}

// Award is what catalog knows that a draft is pre-filled from: the
// engagement with its approved award, the awarded proposal, and the scope
// revision the sourcing event was published on.
type Award struct {
	Engagement *catalogv1.Engagement
	Proposal   *catalogv1.Proposal
	Scope      *catalogv1.Scope
}

// Prefill drafts a contract from the award, then lets every field the
// caller set in the request override the pre-filled value. spec:
// contract.md, "Contract": the draft is pre-filled from the awarded
// proposal and the approved scope, and then edited.
//
// The rules:
//   - parties: engagement; provider and proposal from the award (never
//     from the request: they are output only);
//   - currency: the awarded total contract value's, else the scope's
//     commercial currency, else the awarded monthly fee's;
//   - type: the awarded proposal's pricing model (FIXED_PRICE when it
//     states none; a request of another type drops the awarded model's
//     prices it does not set itself, dropPrices); the prices of that
//     model from the proposal: the
//     monthly fee (FIXED_PRICE), the rate card and not-to-exceed cap
//     (TIME_AND_MATERIALS), the base fee, bonus pool and at-risk share
//     (PERFORMANCE_BASED; every KPI level of the scope earns the bonus);
//   - delivery centers from the proposal; required certifications, data
//     classification and allowed data countries from the scope's
//     compliance, with a 72-hour breach notification for confidential
//     and regulated data;
//   - service levels from the scope with their key, name, metric,
//     comparator, kind and window, and the target the proposal committed
//     to (the scope's where it proposed none); the CRITICAL ones share the
//     at-risk pool equally (EqualAllocations) until the contract manager
//     decides otherwise;
//   - service time zone from the scope's coverage;
//   - term: start on the scope's go-live date; end = start + the scope's
//     term months − 1 day (TermEnd), computed after the overrides, so a
//     caller who moves the start moves the end too unless they set it;
//   - credit regime: DefaultCreditRegime, of which the caller's non-zero
//     fields override each default (a zero cannot be told from unset at
//     creation; UpdateContract can set any value).
func Prefill(a Award, req *contractv1.Contract) *contractv1.Contract {
	eng, scope := a.Engagement, a.Scope
	award := eng.GetAward()
	c := &contractv1.Contract{
		Engagement:      eng.GetName(),
		Provider:        award.GetProvider(),
		Proposal:        award.GetProposal(),
		DisplayName:     eng.GetDisplayName(),
		Type:            contractType(a.Proposal.GetPricing().GetModel()),
		ServiceTimeZone: scope.GetCoverage().GetServiceTimeZone(),
		CreditRegime:    DefaultCreditRegime(),
	}
	pricing := a.Proposal.GetPricing()
	switch pricing.GetModel() {
	case catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS:
		for _, r := range pricing.GetRateCard() {
			c.RateCard = append(c.RateCard, proto.CloneOf(r))
		}
		c.MonthlyNotToExceed = proto.CloneOf(pricing.GetMonthlyNotToExceed())
	case catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED:
		c.BaseMonthlyFee = proto.CloneOf(pricing.GetBaseMonthlyFee())
		c.BonusPool = proto.CloneOf(pricing.GetBonusPool())
		if r := pricing.GetAtRiskBps(); r > 0 {
			c.CreditRegime.AtRiskBps = r
		}
	default:
		c.MonthlyFee = proto.CloneOf(pricing.GetMonthlyFee())
	}
	c.DeliveryCenters = slices.Clone(a.Proposal.GetDeliveryCenters())
	if comp := scope.GetCompliance(); comp != nil {
		c.RequiredCertifications = slices.Clone(comp.GetRequiredCertifications())
		if comp.GetDataClassification() != catalogv1.DataClassification_DATA_CLASSIFICATION_UNSPECIFIED || len(comp.GetAllowedDataCountries()) > 0 {
			c.DataProtection = &contractv1.DataProtection{
				Classification:       comp.GetDataClassification(),
				AllowedDataCountries: slices.Clone(comp.GetAllowedDataCountries()),
			}
			if sensitive(comp.GetDataClassification()) {
				c.DataProtection.BreachNotificationHours = DefaultBreachNotificationHours
			}
		}
	}
	switch {
	case award.GetTotalContractValue().GetCurrencyCode() != "":
		c.CurrencyCode = award.GetTotalContractValue().GetCurrencyCode()
	case scope.GetCommercial().GetCurrencyCode() != "":
		c.CurrencyCode = scope.GetCommercial().GetCurrencyCode()
	default:
		c.CurrencyCode = c.GetMonthlyFee().GetCurrencyCode()
	}
	if d := scope.GetTransition().GetGoLiveDate(); d != nil {
		if _, ok := civil(d); ok {
			c.StartDate = proto.Clone(d).(*date.Date)
		}
	}
	committed := map[string]string{}
	for _, p := range a.Proposal.GetServiceLevels() {
		if p.GetTarget() != "" {
			committed[p.GetKey()] = p.GetTarget()
		}
	}
	for _, sl := range scope.GetServiceLevels() {
		target := sl.GetTarget()
		if t, ok := committed[sl.GetKey()]; ok {
			target = t // what the provider committed to in its proposal
		}
		c.ServiceLevels = append(c.ServiceLevels, &typev1.ServiceLevel{
			Key:         sl.GetKey(),
			DisplayName: sl.GetDisplayName(),
			Metric:      proto.Clone(sl.GetMetric()).(*typev1.MetricDefinition),
			Comparator:  sl.GetComparator(),
			Target:      target,
			Kind:        sl.GetKind(),
			Window:      sl.GetWindow(),
		})
		if c.GetType() == contractv1.ContractType_CONTRACT_TYPE_PERFORMANCE_BASED && c.GetBonusPool().GetMinorUnits() > 0 && sl.GetKind() == typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_KPI {
			c.BonusKpis = append(c.BonusKpis, sl.GetKey())
		}
	}
	EqualAllocations(c.ServiceLevels)

	awarded := c.GetType()
	override(c, req)
	if c.GetType() != awarded {
		dropPrices(c, awarded, req)
	}
	if c.GetEndDate() == nil {
		if end, ok := TermEnd(c.GetStartDate(), int(scope.GetCommercial().GetTermMonths())); ok {
			c.EndDate = end
		}
	}
	return c
}

// dropPrices clears the awarded model's prices from a draft the request
// gave another type, except those the request set itself: a fixed fee left
// on a T&M draft would only fail its review ("belongs to FIXED_PRICE").
func dropPrices(c *contractv1.Contract, awarded contractv1.ContractType, req *contractv1.Contract) {
	switch awarded {
	case contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS:
		if len(req.GetRateCard()) == 0 {
			c.RateCard = nil
		}
		if req.GetMonthlyNotToExceed() == nil {
			c.MonthlyNotToExceed = nil
		}
	case contractv1.ContractType_CONTRACT_TYPE_PERFORMANCE_BASED:
		if req.GetBaseMonthlyFee() == nil {
			c.BaseMonthlyFee = nil
		}
		if req.GetBonusPool() == nil {
			c.BonusPool = nil
		}
		if len(req.GetBonusKpis()) == 0 {
			c.BonusKpis = nil
		}
	default:
		if req.GetMonthlyFee() == nil {
			c.MonthlyFee = nil
		}
	}
}

// contractType is the contract type of a proposal's pricing model, so that
// a draft is of the type that was awarded.
func contractType(m catalogv1.PricingModel) contractv1.ContractType {
	switch m {
	case catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS:
		return contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS
	case catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED:
		return contractv1.ContractType_CONTRACT_TYPE_PERFORMANCE_BASED
	}
	return contractv1.ContractType_CONTRACT_TYPE_FIXED_PRICE
}

// EqualAllocations gives the CRITICAL levels equal shares of the at-risk
// pool summing to exactly 100 % (10000 bps); the bps that do not divide
// evenly go to the first critical level. Three levels get 3334, 3333 and
// 3333 bps.
func EqualAllocations(levels []*typev1.ServiceLevel) {
	var critical []*typev1.ServiceLevel
	for _, sl := range levels {
		if sl.GetKind() == typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL {
			critical = append(critical, sl)
		}
	}
	if len(critical) == 0 {
		return
	}
	share := int32(MaxAllocationBps / len(critical))
	for _, sl := range critical {
		sl.AllocationBps = share
	}
	critical[0].AllocationBps += int32(MaxAllocationBps % len(critical))
}

// override copies onto c every updatable field req sets; the credit
// regime's non-zero fields override one by one.
func override(c, req *contractv1.Contract) {
	if req == nil {
		return
	}
	copyFields(c, req, prefillable)
	in := req.GetCreditRegime()
	if in == nil {
		return
	}
	cr := c.GetCreditRegime()
	for _, f := range []struct {
		dst *int32
		src int32
	}{
		{&cr.AtRiskBps, in.GetAtRiskBps()},
		{&cr.EarnBackPeriods, in.GetEarnBackPeriods()},
		{&cr.ChronicMisses, in.GetChronicMisses()},
		{&cr.ChronicWindow, in.GetChronicWindow()},
		{&cr.AnnualCapBps, in.GetAnnualCapBps()},
	} {
		if f.src != 0 {
			*f.dst = f.src
		}
	}
}
