package selection

import (
	"math/big"
	"slices"
	"strconv"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/money"
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
	if pr.GetModel() != catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE {
		// spec: issue 3 item 3 is thin: fixed price first.
		v.Add(field+".model", "%s is not supported yet; price the proposal as PRICING_MODEL_FIXED_PRICE with a monthly_fee", pr.GetModel())
		return
	}
	fee := pr.GetMonthlyFee()
	switch {
	case fee == nil:
		v.Add(field+".monthly_fee", "is required for a fixed price")
	case refdata.Currency(fee.GetCurrencyCode()) != nil:
		v.Add(field+".monthly_fee.currency_code", "%q is not an ISO 4217 currency code (like USD)", fee.GetCurrencyCode())
	case fee.GetCurrencyCode() != currency:
		v.Add(field+".monthly_fee.currency_code", "prices of this event are compared in %s; price the proposal in %s", currency, currency)
	case fee.GetMinorUnits() <= 0:
		v.Add(field+".monthly_fee.minor_units", "must be above zero")
	case fee.GetMinorUnits() > MaxMonthlyFee:
		v.Add(field+".monthly_fee.minor_units", "%d is above %d; check the amount (it is in minor units, e.g. cents)", fee.GetMinorUnits(), int64(MaxMonthlyFee))
	}
}

// MaxMonthlyFee bounds a proposal's monthly fee, in minor units (USD 1
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
// event's term: the fixed monthly fee × term months, exact. MaxMonthlyFee
// keeps a checked proposal's far from money.ErrOverflow.
// spec: catalog.md §3 "Proposal", total contract value.
func TCV(pr *catalogv1.ProposalPricing, termMonths int32) (money.Amount, error) {
	return money.FromProto(pr.GetMonthlyFee()).Times(int64(termMonths))
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
	out.Award = nil
	if a := e.GetAward(); a.GetApprovedBy() != "" && a.GetProvider() == v.Provider {
		out.Award = &catalogv1.Award{Proposal: a.GetProposal(), Provider: a.GetProvider(), ApproveTime: a.GetApproveTime()}
	}
	return out
}
