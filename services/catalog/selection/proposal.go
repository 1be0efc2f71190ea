package selection

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/refdata"
	"google.golang.org/protobuf/proto"
)

// DefaultTermMonths is the contract term prices are compared over when
// neither the event nor the scope names one.
const DefaultTermMonths = 36

// DefaultCurrency is the currency prices are compared in when the scope's
// commercial terms name none. Prices of one event are always in one
// currency: comparing them needs no exchange rate.
const DefaultCurrency = "USD"

// Currency is the currency an event's proposals must be priced in.
func Currency(scope *catalogv1.Scope) string {
	if c := scope.GetCommercial().GetCurrencyCode(); c != "" {
		return c
	}
	return DefaultCurrency
}

// CheckProposal checks the content of a proposal against the provider
// submitting it and the scope revision the event was published on. Field
// paths start with prefix ("proposal").
func CheckProposal(p *catalogv1.Proposal, prov *catalogv1.Provider, scope *catalogv1.Scope, prefix string) error {
	var v apperr.Violations
	checkPricing(p.GetPricing(), Currency(scope), prefix+".pricing", &v)

	centers := map[string]bool{}
	for _, c := range prov.GetDeliveryCenters() {
		centers[c.GetName()] = true
	}
	if len(p.GetDeliveryCenters()) == 0 {
		v.Add(prefix+".delivery_centers", "propose at least one of your delivery centers (%s)", strings.Join(centerNames(prov), ", "))
	}
	seen := map[string]bool{}
	for i, name := range p.GetDeliveryCenters() {
		f := indexed(prefix+".delivery_centers", i)
		switch {
		case seen[name]:
			v.Add(f, "%q is proposed twice", name)
		case !centers[name]:
			v.Add(f, "%q is not one of %s's delivery centers (%s); add it to the provider first", name, prov.GetName(), strings.Join(centerNames(prov), ", "))
		}
		seen[name] = true
	}

	keys := map[string]bool{}
	for _, sl := range scope.GetServiceLevels() {
		keys[sl.GetKey()] = true
	}
	seen = map[string]bool{}
	for i, sl := range p.GetServiceLevels() {
		f := indexed(prefix+".service_levels", i)
		switch {
		case seen[sl.GetKey()]:
			v.Add(f+".key", "%q is proposed twice", sl.GetKey())
		case !keys[sl.GetKey()]:
			v.Add(f+".key", "%q is not a service level of the scope; propose targets for its keys only", sl.GetKey())
		}
		seen[sl.GetKey()] = true
		if _, ok := new(big.Rat).SetString(sl.GetTarget()); !ok {
			v.Add(f+".target", "%q is not a decimal number", sl.GetTarget())
		}
	}

	certs := map[catalogv1.CertificationType]bool{}
	for i, c := range p.GetCertifications() {
		f := indexed(prefix+".certifications", i)
		switch {
		case c == catalogv1.CertificationType_CERTIFICATION_TYPE_UNSPECIFIED || catalogv1.CertificationType_name[int32(c)] == "":
			v.Add(f, "is not a known certification type")
		case certs[c]:
			v.Add(f, "%s is claimed twice", c)
		}
		certs[c] = true
	}
	return v.Err()
}

func checkPricing(pr *catalogv1.ProposalPricing, currency, field string, v *apperr.Violations) {
	if pr == nil {
		v.Add(field, "is required: the model and the price")
		return
	}
	model := pr.GetModel()
	// What belongs to another model is refused, not ignored: a price the
	// provider sent must be the price compared.
	other := func(name string, set bool, of catalogv1.PricingModel) {
		if set && model != of {
			v.Add(field+"."+name, "belongs to %s pricing; leave it out of a %s proposal", protoenum.Short(of), protoenum.Short(model))
		}
	}
	other("monthly_fee", pr.GetMonthlyFee() != nil, catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE)
	other("rate_card", len(pr.GetRateCard()) > 0, catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS)
	other("monthly_not_to_exceed", pr.GetMonthlyNotToExceed() != nil, catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS)
	other("base_monthly_fee", pr.GetBaseMonthlyFee() != nil, catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED)
	other("at_risk_bps", pr.GetAtRiskBps() != 0, catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED)
	other("bonus_pool", pr.GetBonusPool() != nil, catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED)

	switch model {
	case catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE:
		checkAmount(pr.GetMonthlyFee(), currency, field+".monthly_fee", "is required for a fixed price: the monthly fee", true, v)
	case catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS:
		checkRateCard(pr, currency, field, v)
	case catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED:
		checkAmount(pr.GetBaseMonthlyFee(), currency, field+".base_monthly_fee", "is required for performance-based pricing: the base monthly fee", true, v)
		if bps := pr.GetAtRiskBps(); bps <= 0 || bps > MaxAtRiskBps {
			v.Add(field+".at_risk_bps", "%d is outside 1–%d: say which share of the charges is at risk (1200 = 12 %%)", bps, MaxAtRiskBps)
		}
		checkAmount(pr.GetBonusPool(), currency, field+".bonus_pool", "is required for performance-based pricing: the bonus pool per month (zero for none)", false, v)
	default:
		v.Add(field+".model", "is required: FIXED_PRICE, TIME_AND_MATERIALS or PERFORMANCE_BASED")
	}
	if len(*v) == 0 {
		if _, err := Monthly(pr); err != nil {
			v.Add(field, "%v", err)
		}
	}
}

// MaxAtRiskBps is the largest share of the charges a performance-based
// proposal may put at risk, as on a contract. spec: contract.md, credit
// regime: at_risk_bps at most 2000.
const MaxAtRiskBps = 2000

// checkAmount checks one amount of a price: set (else missing), in the
// event's currency, above zero (or at least zero when !positive), at most
// MaxMonthlyFee.
func checkAmount(m *typev1.Money, currency, field, missing string, positive bool, v *apperr.Violations) {
	switch {
	case m == nil:
		v.Add(field, "%s", missing)
	case refdata.Currency(m.GetCurrencyCode()) != nil:
		v.Add(field+".currency_code", "%q is not an ISO 4217 currency code (like USD)", m.GetCurrencyCode())
	case m.GetCurrencyCode() != currency:
		v.Add(field+".currency_code", "prices of this event are compared in %s; price the proposal in %s", currency, currency)
	case positive && m.GetMinorUnits() <= 0:
		v.Add(field+".minor_units", "must be above zero")
	case m.GetMinorUnits() < 0:
		v.Add(field+".minor_units", "must not be negative")
	case m.GetMinorUnits() > MaxMonthlyFee:
		v.Add(field+".minor_units", "%d is above %d; check the amount (it is in minor units, e.g. cents)", m.GetMinorUnits(), int64(MaxMonthlyFee))
	}
}

func checkRateCard(pr *catalogv1.ProposalPricing, currency, field string, v *apperr.Violations) {
	if len(pr.GetRateCard()) == 0 {
		v.Add(field+".rate_card", "is required for time and materials: each role with its hourly rate and estimated monthly hours")
	}
	roles := map[string]bool{}
	for i, r := range pr.GetRateCard() {
		f := indexed(field+".rate_card", i)
		switch {
		case !rolePattern.MatchString(r.GetRole()):
			v.Add(f+".role", "%q is not a role like agent or team_lead (lower case, digits and _)", r.GetRole())
		case roles[r.GetRole()]:
			v.Add(f+".role", "%s is listed twice; give each role one rate", r.GetRole())
		}
		roles[r.GetRole()] = true
		checkAmount(r.GetHourlyRate(), currency, f+".hourly_rate", "is required: the price of one hour of the role", true, v)
		if h := r.GetEstimatedMonthlyHours(); h <= 0 {
			v.Add(f+".estimated_monthly_hours", "must be above zero: the TCV is Σ rate × estimated monthly hours × term months")
		}
	}
	if nte := pr.GetMonthlyNotToExceed(); nte != nil {
		checkAmount(nte, currency, field+".monthly_not_to_exceed", "", true, v)
	}
}

var rolePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Monthly is a checked price's monthly charge as the TCV counts it:
// FIXED_PRICE the monthly fee; TIME_AND_MATERIALS Σ hourly rate ×
// estimated monthly hours (refused when above its own monthly
// not-to-exceed cap: the estimate would contradict the cap);
// PERFORMANCE_BASED the base monthly fee plus the full bonus pool of the
// month. Exact; money.ErrOverflow and a monthly charge above
// MaxMonthlyFee are errors.
func Monthly(pr *catalogv1.ProposalPricing) (money.Amount, error) {
	var m money.Amount
	var err error
	switch pr.GetModel() {
	case catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE:
		m = money.FromProto(pr.GetMonthlyFee())
	case catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS:
		for i, r := range pr.GetRateCard() {
			line, err := money.FromProto(r.GetHourlyRate()).Times(int64(r.GetEstimatedMonthlyHours()))
			if err != nil {
				return money.Amount{}, err
			}
			if i == 0 {
				m = line
			} else if m, err = m.Add(line); err != nil {
				return money.Amount{}, err
			}
		}
		if nte := pr.GetMonthlyNotToExceed(); nte != nil && m.Minor > nte.GetMinorUnits() {
			return money.Amount{}, fmt.Errorf("the estimated monthly charges %s are above the monthly not-to-exceed %s; raise the cap or lower the estimate", m, money.FromProto(nte))
		}
	case catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED:
		if m, err = money.FromProto(pr.GetBaseMonthlyFee()).Add(money.FromProto(pr.GetBonusPool())); err != nil {
			return money.Amount{}, err
		}
	default:
		return money.Amount{}, fmt.Errorf("unknown pricing model %v", pr.GetModel())
	}
	if m.Minor > MaxMonthlyFee {
		return money.Amount{}, fmt.Errorf("the monthly charge %s is above %d minor units; check the amounts (they are in minor units, e.g. cents)", m, int64(MaxMonthlyFee))
	}
	return m, nil
}

// MaxMonthlyFee bounds a proposal's monthly charge, in minor units (USD 1
// trillion), so that its TCV over the longest term (120 months) and the
// cost score's 10 × lowest TCV stay far inside an int64 instead of
// wrapping round to a negative price that would rank first.
const MaxMonthlyFee = 100_000_000_000_000

func centerNames(prov *catalogv1.Provider) []string {
	var out []string
	for _, c := range prov.GetDeliveryCenters() {
		out = append(out, strconv.Quote(c.GetName()))
	}
	return out
}

// TCV is the total contract value of a (checked) proposal over the
// event's term, exact: fixed monthly fee × term months; Σ hourly rate ×
// estimated monthly hours × term months; base monthly fee × term months +
// the full bonus pool (the pool is per monthly period, so the full pool of
// the term is pool × term months). MaxMonthlyFee keeps a checked
// proposal's far from money.ErrOverflow.
// spec: catalog.md §3 "Proposal", total contract value.
func TCV(pr *catalogv1.ProposalPricing, termMonths int32) (money.Amount, error) {
	m, err := Monthly(pr)
	if err != nil {
		return money.Amount{}, err
	}
	return m.Times(int64(termMonths))
}

// Viewer is who reads a proposal or an event.
type Viewer struct {
	// Provider is the caller's provider (`providers/…`) when the caller is
	// a provider user, else empty.
	Provider string
	// ProviderOnly is set when the caller acts for the provider and holds
	// no role that reads across providers.
	ProviderOnly bool
}

// Opened reports whether a proposal's content is unsealed for those who
// may see it: once the event closed, the compliance gate moved it out of
// SUBMITTED / NEEDS_CONFIRMATION. A proposal of an event cancelled before
// it closed therefore stays sealed for good.
func Opened(s catalogv1.ProposalState) bool {
	return s != catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED && s != catalogv1.ProposalState_PROPOSAL_STATE_NEEDS_CONFIRMATION
}

// ProposalFor returns what v may see of p. Its own provider sees all of it,
// always. Another provider's user sees nothing, ever (PERMISSION_DENIED).
// Everyone else — admins included — sees only that it exists, by whom and
// when, until the event is closed. spec: catalog.md §3 "Sealed bids".
func ProposalFor(p *catalogv1.Proposal, v Viewer) (*catalogv1.Proposal, error) {
	if v.Provider != "" && v.Provider == p.GetProvider() {
		return p, nil
	}
	if v.ProviderOnly {
		return nil, apperr.New(apperr.PermissionDenied, "a provider user may see only its own provider's (%s) proposals", v.Provider)
	}
	if Opened(p.GetState()) {
		return p, nil
	}
	// The etag and the revision are withheld too: they count revisions.
	return &catalogv1.Proposal{
		Name:       p.GetName(),
		Provider:   p.GetProvider(),
		State:      p.GetState(),
		SubmitTime: p.GetSubmitTime(),
		Sealed:     true,
	}, nil
}

// EventFor returns what v may see of an event. A provider user sees the
// event without the other invited providers, the evaluators and the award
// unless the approved award is its own: competitors stay anonymous, and
// the unsuccessful learn only from their proposal's state that they were
// not selected. spec: catalog.md §3 "Award".
func EventFor(e *catalogv1.SourcingEvent, v Viewer) *catalogv1.SourcingEvent {
	if !v.ProviderOnly {
		return e
	}
	out := proto.Clone(e).(*catalogv1.SourcingEvent)
	out.InvitedProviders = nil
	if slices.Contains(e.GetInvitedProviders(), v.Provider) {
		out.InvitedProviders = []string{v.Provider}
	}
	out.Evaluators = nil
	// Others' refusals, standings and withdrawals are not a provider's
	// business: it sees its own refusal only.
	out.DeclinedInvitations = nil
	for _, d := range e.GetDeclinedInvitations() {
		if d.GetProvider() == v.Provider {
			out.DeclinedInvitations = append(out.DeclinedInvitations, d)
		}
	}
	out.Warnings, out.InvitationOverrides, out.WithdrawnAwards = nil, nil, nil
	out.Award = nil
	if a := e.GetAward(); a.GetApprovedBy() != "" && a.GetProvider() == v.Provider {
		out.Award = &catalogv1.Award{Proposal: a.GetProposal(), Provider: a.GetProvider(), ApproveTime: a.GetApproveTime()}
	}
	return out
}
