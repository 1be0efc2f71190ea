package scope

import (
	"slices"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
)

func TestPrefill(t *testing.T) {
	support := &catalogv1.Process{
		Name: "processes/a", DisplayName: "Customer support", Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT,
		AnnualVolume: 1_000_000, DataClassification: catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL,
		AllowedDataCountries: []string{"US", "PH", "CO"},
	}
	billing := &catalogv1.Process{
		Name: "processes/b", DisplayName: "Medical billing", Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_MEDICAL_BILLING,
		AnnualVolume: 30, DataClassification: catalogv1.DataClassification_DATA_CLASSIFICATION_REGULATED,
		AllowedDataCountries: []string{"CO", "US"},
	}
	anywhere := &catalogv1.Process{Name: "processes/c", DisplayName: "Data entry", DataClassification: catalogv1.DataClassification_DATA_CLASSIFICATION_PUBLIC}

	sc, err := Prefill([]*catalogv1.Process{support, billing, anywhere})
	if err != nil {
		t.Fatal(err)
	}
	// Strictest: REGULATED; countries {US, PH, CO} ∩ {CO, US} ∩ anywhere
	// = {CO, US}; volumes 1 000 000 / 12 = 83 333.33 → 83 333 and
	// 30 / 12 = 2.5 → 3 (half up); the process without a volume has no
	// deliverable.
	if got := sc.GetCompliance().GetDataClassification(); got != catalogv1.DataClassification_DATA_CLASSIFICATION_REGULATED {
		t.Errorf("classification %v", got)
	}
	if got := sc.GetCompliance().GetAllowedDataCountries(); !slices.Equal(got, []string{"CO", "US"}) {
		t.Errorf("countries %v, want CO, US", got)
	}
	if len(sc.GetDeliverables()) != 2 || sc.GetDeliverables()[0].GetExpectedMonthlyVolume() != 83_333 || sc.GetDeliverables()[1].GetExpectedMonthlyVolume() != 3 ||
		sc.GetDeliverables()[0].GetName() != "Customer support" {
		t.Errorf("deliverables %v", sc.GetDeliverables())
	}

	only, err := Prefill([]*catalogv1.Process{anywhere})
	if err != nil || len(only.GetCompliance().GetAllowedDataCountries()) != 0 {
		t.Errorf("anywhere: %v, %v; want no restriction", only, err)
	}
	uk := &catalogv1.Process{Name: "processes/d", AllowedDataCountries: []string{"GB"}}
	if _, err := Prefill([]*catalogv1.Process{support, uk}); err == nil {
		t.Error("processes with no country in common were put in one scope")
	}
}
