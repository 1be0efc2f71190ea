package assessment_test

import (
	"errors"
	"math/big"
	"regexp"
	"slices"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/services/catalog/assessment"
)

func usd(minor int64) *typev1.Money { return &typev1.Money{CurrencyCode: "USD", MinorUnits: minor} }

// process is a valid process (customer support in the US) changed by change.
func process(change func(p *catalogv1.Process)) *catalogv1.Process {
	p := &catalogv1.Process{
		DisplayName:           "Customer support",
		Function:              catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT,
		HomeCountry:           "US",
		HomeTimeZone:          "America/New_York",
		Fte:                   "10",
		AnnualCostPerFte:      usd(5_000_000),
		AnnualVolume:          100_000,
		Repetitiveness:        4,
		Complexity:            2,
		StrategicImportance:   2,
		RequiredExpertise:     2,
		DocumentationMaturity: 3,
		DataClassification:    catalogv1.DataClassification_DATA_CLASSIFICATION_INTERNAL,
	}
	change(p)
	return p
}

// checkViolations fails unless err names exactly the fields want (sorted),
// or is nil when want is nil.
func checkViolations(t *testing.T, err error, want []string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("got %v, want valid", err)
		}
		return
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument {
		t.Fatalf("error %v is not INVALID_ARGUMENT", err)
	}
	var got []string
	for _, v := range ae.Violations {
		got = append(got, v.Field)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("violations on %v, want %v (%v)", got, want, err)
	}
}

func TestValidateProcess(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *catalogv1.Process)
		want   []string
	}{
		{"complete process is valid", func(*catalogv1.Process) {}, nil},
		{"fractional FTE is valid", func(p *catalogv1.Process) { p.Fte = "0.5" }, nil},
		{"empty process lacks every required field", func(p *catalogv1.Process) { *p = catalogv1.Process{} }, []string{
			"process.annual_cost_per_fte", "process.complexity", "process.data_classification", "process.display_name",
			"process.documentation_maturity", "process.fte", "process.function", "process.home_country",
			"process.home_time_zone", "process.repetitiveness", "process.required_expertise", "process.strategic_importance",
		}},
		{"zero FTE", func(p *catalogv1.Process) { p.Fte = "0.00" }, []string{"process.fte"}},
		{"FTE with three decimals", func(p *catalogv1.Process) { p.Fte = "1.125" }, []string{"process.fte"}},
		{"FTE not a number", func(p *catalogv1.Process) { p.Fte = "ten" }, []string{"process.fte"}},
		{"cost without a valid currency", func(p *catalogv1.Process) { p.AnnualCostPerFte.CurrencyCode = "US$" }, []string{"process.annual_cost_per_fte.currency_code"}},
		{"cost of zero", func(p *catalogv1.Process) { p.AnnualCostPerFte.MinorUnits = 0 }, []string{"process.annual_cost_per_fte.minor_units"}},
		{"absurd in-house cost", func(p *catalogv1.Process) {
			p.Fte, p.AnnualCostPerFte.MinorUnits = "9999999", 1_000_000_000_000
		}, []string{"process.annual_cost_per_fte"}},
		{"rating of 6", func(p *catalogv1.Process) { p.Complexity = 6 }, []string{"process.complexity"}},
		{"unknown codes", func(p *catalogv1.Process) {
			p.HomeCountry, p.HomeTimeZone, p.AllowedDataCountries = "XX", "Mars/Base", []string{"PH", "EU"}
		}, []string{"process.allowed_data_countries[1]", "process.home_country", "process.home_time_zone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkViolations(t, assessment.ValidateProcess(process(tt.change), "process"), tt.want)
		})
	}
}

func TestOffice(t *testing.T) {
	const (
		front     = catalogv1.Office_OFFICE_FRONT_OFFICE
		back      = catalogv1.Office_OFFICE_BACK_OFFICE
		knowledge = catalogv1.Office_OFFICE_KNOWLEDGE
		support   = catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT
		legal     = catalogv1.BusinessFunction_BUSINESS_FUNCTION_LEGAL
		payroll   = catalogv1.BusinessFunction_BUSINESS_FUNCTION_PAYROLL
	)
	for f, want := range map[catalogv1.BusinessFunction]catalogv1.Office{
		support: front, catalogv1.BusinessFunction_BUSINESS_FUNCTION_SALES: front,
		catalogv1.BusinessFunction_BUSINESS_FUNCTION_TECHNICAL_SUPPORT: front,
		legal: knowledge, catalogv1.BusinessFunction_BUSINESS_FUNCTION_RESEARCH: knowledge,
		catalogv1.BusinessFunction_BUSINESS_FUNCTION_MARKET_RESEARCH: knowledge,
		payroll: back, catalogv1.BusinessFunction_BUSINESS_FUNCTION_IT_SUPPORT: back,
		catalogv1.BusinessFunction_BUSINESS_FUNCTION_OTHER: back,
	} {
		if got := assessment.DefaultOffice(f); got != want {
			t.Errorf("DefaultOffice(%v) = %v, want %v", f, got, want)
		}
	}

	tests := []struct {
		name        string
		office      catalogv1.Office
		old, new    catalogv1.BusinessFunction
		officeNamed bool
		want        catalogv1.Office
	}{
		{"unset office defaults from the function", catalogv1.Office_OFFICE_UNSPECIFIED, support, support, false, front},
		{"an office given stays", back, support, support, false, back},
		{"defaulted office follows a new function", front, support, legal, false, knowledge},
		{"office chosen by hand stays when the function changes", back, support, legal, false, back},
		{"office named in the same update stays", front, support, legal, true, front},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &catalogv1.Process{Function: tt.new, Office: tt.office}
			assessment.SetOffice(p, tt.old, tt.officeNamed)
			if p.GetOffice() != tt.want {
				t.Errorf("office %v, want %v", p.GetOffice(), tt.want)
			}
		})
	}
}

// FuzzParseFTE: whatever the input, ParseFTE does not panic, and what it
// accepts is a positive number with at most two decimals that the proto's
// pattern accepts too.
func FuzzParseFTE(f *testing.F) {
	for _, s := range []string{"42", "7.5", "0.01", "0", "0.00", "1.", ".5", "1.125", "-3", "1e3", "١٢", " 4", "9999999.99"} {
		f.Add(s)
	}
	pattern := regexp.MustCompile(`^[0-9]{1,7}(\.[0-9]{1,2})?$`)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := assessment.ParseFTE(s)
		if err != nil {
			return
		}
		if r.Sign() <= 0 {
			t.Errorf("ParseFTE(%q) = %v, not positive", s, r)
		}
		if !pattern.MatchString(s) {
			t.Errorf("ParseFTE accepted %q, which the API's pattern refuses", s)
		}
		if !new(big.Rat).Mul(r, big.NewRat(100, 1)).IsInt() {
			t.Errorf("ParseFTE(%q) = %v has more than two decimals", s, r)
		}
	})
}
