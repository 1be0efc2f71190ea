package assessment

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/refdata"
	"google.golang.org/protobuf/proto"
)

// maxAnnualCost bounds fte × annual cost per FTE, in minor units (USD 10
// trillion), so that every business-case amount fits an int64 with room.
const maxAnnualCost = 1_000_000_000_000_000

// ValidateProcess checks a process about to be created, or as it is after
// an update: every field the spec requires is set, and every code valid.
// Field paths are prefixed with prefix (the request field, "process").
func ValidateProcess(p *catalogv1.Process, prefix string) error {
	var v apperr.Violations
	field := func(f string) string { return prefix + "." + f }
	if strings.TrimSpace(p.GetDisplayName()) == "" {
		v.Add(field("display_name"), "is required")
	}
	if p.GetFunction() == catalogv1.BusinessFunction_BUSINESS_FUNCTION_UNSPECIFIED {
		v.Add(field("function"), "is required (CUSTOMER_SUPPORT, FINANCE_ACCOUNTING, …)")
	}
	if c := p.GetHomeCountry(); c == "" {
		v.Add(field("home_country"), "is required")
	} else if err := refdata.Country(c); err != nil {
		v.Add(field("home_country"), "%v", err)
	}
	if z := p.GetHomeTimeZone(); z == "" {
		v.Add(field("home_time_zone"), "is required")
	} else if err := refdata.TimeZone(z); err != nil {
		v.Add(field("home_time_zone"), "%v", err)
	}
	fte, fteErr := ParseFTE(p.GetFte())
	if fteErr != nil {
		v.Add(field("fte"), "%v", fteErr)
	}
	cost := p.GetAnnualCostPerFte()
	switch {
	case cost == nil:
		v.Add(field("annual_cost_per_fte"), "is required")
	case refdata.Currency(cost.GetCurrencyCode()) != nil:
		v.Add(field("annual_cost_per_fte.currency_code"), "%v", refdata.Currency(cost.GetCurrencyCode()))
	case cost.GetMinorUnits() <= 0:
		v.Add(field("annual_cost_per_fte.minor_units"), "must be greater than 0")
	case fteErr == nil && new(big.Rat).Mul(fte, new(big.Rat).SetInt64(cost.GetMinorUnits())).Cmp(big.NewRat(maxAnnualCost, 1)) > 0:
		v.Add(field("annual_cost_per_fte"), "fte × annual_cost_per_fte is above %d minor units; check the amount (it is in minor units, e.g. cents)", int64(maxAnnualCost))
	}
	for _, r := range []struct {
		name  string
		value int32
	}{
		{"repetitiveness", p.GetRepetitiveness()}, {"complexity", p.GetComplexity()},
		{"strategic_importance", p.GetStrategicImportance()}, {"required_expertise", p.GetRequiredExpertise()},
		{"documentation_maturity", p.GetDocumentationMaturity()},
	} {
		if r.value < 1 || r.value > 5 {
			v.Add(field(r.name), "is required, a rating from 1 to 5")
		}
	}
	if p.GetDataClassification() == catalogv1.DataClassification_DATA_CLASSIFICATION_UNSPECIFIED {
		v.Add(field("data_classification"), "is required (PUBLIC, INTERNAL, CONFIDENTIAL or REGULATED)")
	}
	if p.GetAnnualVolume() < 0 {
		v.Add(field("annual_volume"), "must be 0 or more")
	}
	for i, c := range p.GetAllowedDataCountries() {
		if err := refdata.Country(c); err != nil {
			v.Add(fmt.Sprintf("%s[%d]", field("allowed_data_countries"), i), "%v", err)
		}
	}
	return v.Err()
}

// ftePattern is the API's pattern of Process.fte (a decimal < 10 000 000
// with at most two decimals); ParseFTE holds to it even when called
// without the API's validation.
var ftePattern = regexp.MustCompile(`^[0-9]{1,7}(\.[0-9]{1,2})?$`)

// ParseFTE parses a full-time-equivalent count, a decimal string > 0 with
// at most two decimals ("42", "7.5").
func ParseFTE(s string) (*big.Rat, error) {
	if s == "" {
		return nil, fmt.Errorf("is required, a decimal number of full-time equivalents greater than 0, e.g. 42 or 7.5")
	}
	if !ftePattern.MatchString(s) {
		return nil, fmt.Errorf("%q is not a decimal number below 10000000 with at most two decimals, e.g. 42 or 7.5", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 {
		return nil, fmt.Errorf("must be greater than 0, got %q", s)
	}
	return r, nil
}

// DefaultOffice is the office a function belongs to. spec: catalog.md §1,
// `office`: support, sales, technical support → front; research, legal,
// market research → knowledge; the rest → back.
func DefaultOffice(f catalogv1.BusinessFunction) catalogv1.Office {
	switch f {
	case catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT,
		catalogv1.BusinessFunction_BUSINESS_FUNCTION_SALES,
		catalogv1.BusinessFunction_BUSINESS_FUNCTION_TECHNICAL_SUPPORT:
		return catalogv1.Office_OFFICE_FRONT_OFFICE
	case catalogv1.BusinessFunction_BUSINESS_FUNCTION_RESEARCH,
		catalogv1.BusinessFunction_BUSINESS_FUNCTION_LEGAL,
		catalogv1.BusinessFunction_BUSINESS_FUNCTION_MARKET_RESEARCH:
		return catalogv1.Office_OFFICE_KNOWLEDGE
	case catalogv1.BusinessFunction_BUSINESS_FUNCTION_UNSPECIFIED:
		return catalogv1.Office_OFFICE_UNSPECIFIED
	}
	return catalogv1.Office_OFFICE_BACK_OFFICE
}

// SetOffice fills an unset office from the function. When an update
// changes the function of a process whose office was the old function's
// default, the office follows the new function, unless the update names
// the office itself.
func SetOffice(p *catalogv1.Process, oldFunction catalogv1.BusinessFunction, officeNamed bool) {
	switch {
	case p.GetOffice() == catalogv1.Office_OFFICE_UNSPECIFIED:
		p.Office = DefaultOffice(p.GetFunction())
	case !officeNamed && oldFunction != p.GetFunction() && p.GetOffice() == DefaultOffice(oldFunction):
		p.Office = DefaultOffice(p.GetFunction())
	}
}

// Inputs is what of a process an assessment depends on: the process
// without its name, words, bookkeeping and assessment results. Two
// processes with equal inputs are assessed alike.
func Inputs(p *catalogv1.Process) *catalogv1.Process {
	in := proto.CloneOf(p)
	in.Name, in.DisplayName, in.Description = "", "", ""
	in.LatestAssessment, in.LatestRecommendation, in.AssessmentStale = "", 0, false
	in.CreateTime, in.UpdateTime, in.Etag = nil, nil, ""
	return in
}

// Stale reports whether process p no longer is what its assessment
// assessed (snapshot is the assessment's copy of the process): its
// inputs differ. Edits of the name or description leave it current, and
// editing an input back to its assessed value makes it current again.
func Stale(p, snapshot *catalogv1.Process) bool {
	return !proto.Equal(Inputs(p), Inputs(snapshot))
}
