package terms

import (
	"errors"
	"slices"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"
)

const (
	critical = typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL
	kpi      = typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_KPI
	draft    = contractv1.ContractState_CONTRACT_STATE_DRAFT
	inReview = contractv1.ContractState_CONTRACT_STATE_IN_REVIEW
	approved = contractv1.ContractState_CONTRACT_STATE_APPROVED
	signed   = contractv1.ContractState_CONTRACT_STATE_SIGNED

	terminated = contractv1.ContractState_CONTRACT_STATE_TERMINATED
)

func day(y, m, d int32) *date.Date { return &date.Date{Year: y, Month: m, Day: d} }

func level(key string, kind typev1.ServiceLevelKind, allocation int32) *typev1.ServiceLevel {
	return &typev1.ServiceLevel{
		Key: key, DisplayName: key, Kind: kind, AllocationBps: allocation, Target: "80",
		Comparator: typev1.Comparator_COMPARATOR_AT_LEAST,
		Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, Threshold: "20"},
	}
}

// reviewable is a contract that passes review.
func reviewable() *contractv1.Contract {
	return &contractv1.Contract{
		Name:            "contracts/C1",
		Engagement:      "engagements/E1",
		Provider:        "providers/P1",
		Type:            contractv1.ContractType_CONTRACT_TYPE_FIXED_PRICE,
		ClientSignatory: "cfo@client",
		StartDate:       day(2026, 1, 1),
		EndDate:         day(2028, 12, 31),
		ServiceTimeZone: "America/New_York",
		CurrencyCode:    "USD",
		MonthlyFee:      &typev1.Money{CurrencyCode: "USD", MinorUnits: 12_500_000},
		ServiceLevels:   []*typev1.ServiceLevel{level("asa_20s", critical, 6000), level("csat", critical, 4000), level("aht", kpi, 0)},
		CreditRegime:    DefaultCreditRegime(),
		Author:          "cm@client",
		State:           draft,
	}
}

func violationFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument {
		t.Fatalf("got %v, want INVALID_ARGUMENT", err)
	}
	var out []string
	for _, v := range ae.Violations {
		out = append(out, v.Field)
	}
	slices.Sort(out)
	return out
}

func wantKind(t *testing.T, err error, want apperr.Kind) {
	t.Helper()
	if err == nil || apperr.KindOf(err) != want {
		t.Fatalf("got %v, want kind %d", err, want)
	}
}

func TestValidateForReview(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *contractv1.Contract)
		want   []string
	}{
		{"a complete contract passes", func(*contractv1.Contract) {}, nil},
		{"allocations may sum to 250 %", func(c *contractv1.Contract) {
			// 10000 + 10000 + 5000 = 25000 bps, the upper bound.
			c.ServiceLevels = []*typev1.ServiceLevel{level("a", critical, 10000), level("b", critical, 10000), level("c", critical, 5000)}
		}, nil},
		{"no critical level needs no allocation sum", func(c *contractv1.Contract) {
			c.ServiceLevels = []*typev1.ServiceLevel{level("aht", kpi, 0)}
		}, nil},
		{"a critical level without allocation", func(c *contractv1.Contract) {
			// csat loses its 4000: 6000 alone is below 10000 too.
			c.ServiceLevels[1].AllocationBps = 0
		}, []string{"contract.service_levels", "contract.service_levels[1].allocation_bps"}},
		{"an allocation above 100 %", func(c *contractv1.Contract) {
			c.ServiceLevels[0].AllocationBps = 10001
		}, []string{"contract.service_levels", "contract.service_levels[0].allocation_bps"}},
		{"allocations summing to 99.99 %", func(c *contractv1.Contract) {
			c.ServiceLevels[0].AllocationBps = 5999 // 5999 + 4000 = 9999
		}, []string{"contract.service_levels"}},
		{"allocations summing to 250.01 %", func(c *contractv1.Contract) {
			// 10000 + 10000 + 5001 = 25001 bps.
			c.ServiceLevels = []*typev1.ServiceLevel{level("a", critical, 10000), level("b", critical, 10000), level("c", critical, 5001)}
		}, []string{"contract.service_levels"}},
		{"a KPI with an allocation", func(c *contractv1.Contract) {
			c.ServiceLevels[2].AllocationBps = 100
		}, []string{"contract.service_levels[2].allocation_bps"}},
		{"more than 20 % at risk", func(c *contractv1.Contract) {
			c.CreditRegime.AtRiskBps = 2001
		}, []string{"contract.credit_regime.at_risk_bps"}},
		{"chronic misses beyond the window", func(c *contractv1.Contract) {
			c.CreditRegime.ChronicMisses, c.CreditRegime.ChronicWindow = 4, 3
		}, []string{"contract.credit_regime.chronic_misses"}},
		{"end before start", func(c *contractv1.Contract) {
			c.EndDate = day(2025, 12, 31)
		}, []string{"contract.end_date"}},
		{"end on the start day", func(c *contractv1.Contract) {
			c.EndDate = day(2026, 1, 1)
		}, []string{"contract.end_date"}},
		{"missing start and end", func(c *contractv1.Contract) {
			c.StartDate, c.EndDate = nil, nil
		}, []string{"contract.end_date", "contract.start_date"}},
		{"not a calendar date", func(c *contractv1.Contract) {
			c.StartDate = day(2026, 2, 30)
		}, []string{"contract.start_date"}},
		{"missing client signatory", func(c *contractv1.Contract) {
			c.ClientSignatory = "  "
		}, []string{"contract.client_signatory"}},
		{"missing monthly fee of a fixed price", func(c *contractv1.Contract) {
			c.MonthlyFee = nil
		}, []string{"contract.monthly_fee"}},
		{"a zero monthly fee", func(c *contractv1.Contract) {
			c.MonthlyFee.MinorUnits = 0
		}, []string{"contract.monthly_fee.minor_units"}},
		{"a fee in another currency than the award", func(c *contractv1.Contract) {
			c.MonthlyFee.CurrencyCode = "EUR"
		}, []string{"contract.monthly_fee.currency_code"}},
		{"a fee in no currency at all", func(c *contractv1.Contract) {
			c.MonthlyFee.CurrencyCode = "XYZ"
		}, []string{"contract.monthly_fee.currency_code"}},
		{"missing service time zone", func(c *contractv1.Contract) {
			c.ServiceTimeZone = ""
		}, []string{"contract.service_time_zone"}},
		{"a time zone that is not IANA", func(c *contractv1.Contract) {
			c.ServiceTimeZone = "Mars/Olympus"
		}, []string{"contract.service_time_zone"}},
		{"duplicate service-level keys", func(c *contractv1.Contract) {
			c.ServiceLevels[2].Key = "asa_20s"
		}, []string{"contract.service_levels[2].key"}},
		{"time and materials needs a rate card, and no fixed fee", func(c *contractv1.Contract) {
			c.Type = contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS
		}, []string{"contract.monthly_fee", "contract.rate_card"}},
		{"several problems are listed together", func(c *contractv1.Contract) {
			c.ServiceLevels[0].AllocationBps = 0
			c.CreditRegime.AtRiskBps = 2500
			c.EndDate = day(2025, 6, 30)
			c.ClientSignatory = ""
			c.MonthlyFee = nil
		}, []string{
			"contract.client_signatory", "contract.credit_regime.at_risk_bps", "contract.end_date",
			"contract.monthly_fee", "contract.service_levels", "contract.service_levels[0].allocation_bps",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := reviewable()
			tt.change(c)
			got := violationFields(t, ValidateForReview(c, "contract"))
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("violations on %v, want %v", got, want)
			}
		})
	}
}

func TestValidateDraftRequiresNothing(t *testing.T) {
	if err := ValidateDraft(&contractv1.Contract{Engagement: "engagements/E1"}, "contract"); err != nil {
		t.Errorf("an empty draft: %v", err)
	}
	c := &contractv1.Contract{ServiceTimeZone: "Nowhere/Town", EndDate: day(2026, 13, 1)}
	if got := violationFields(t, ValidateDraft(c, "contract")); !slices.Equal(got, []string{"contract.end_date", "contract.service_time_zone"}) {
		t.Errorf("violations on %v", got)
	}
}

func TestTermEnd(t *testing.T) {
	tests := []struct {
		name   string
		start  *date.Date
		months int
		want   *date.Date
	}{
		// 1 Jan 2026 + 36 months = 1 Jan 2029; the day before is 31 Dec 2028.
		{"three years from a first of the month", day(2026, 1, 1), 36, day(2028, 12, 31)},
		// 15 Mar 2026 + 12 months = 15 Mar 2027; − 1 day = 14 Mar 2027.
		{"mid-month start", day(2026, 3, 15), 12, day(2027, 3, 14)},
		// 31 Jan + 1 month: 31 Feb does not exist, the anniversary is
		// 28 Feb 2026; − 1 day = 27 Feb.
		{"anniversary past the end of a short month", day(2026, 1, 31), 1, day(2026, 2, 27)},
		// 29 Feb 2028 + 12 months: 29 Feb 2029 does not exist → 28 Feb
		// 2029; − 1 day = 27 Feb 2029.
		{"leap day start", day(2028, 2, 29), 12, day(2029, 2, 27)},
		// 1 Mar 2027 + 12 = 1 Mar 2028; − 1 day = 29 Feb 2028 (leap year).
		{"ending on a leap day", day(2027, 3, 1), 12, day(2028, 2, 29)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TermEnd(tt.start, tt.months)
			if !ok || !proto.Equal(got, tt.want) {
				t.Errorf("TermEnd = %v (%v), want %v", got, ok, tt.want)
			}
		})
	}
	if _, ok := TermEnd(day(2026, 1, 1), 0); ok {
		t.Error("a term of 0 months has an end")
	}
	if _, ok := TermEnd(nil, 12); ok {
		t.Error("no start has an end")
	}
}

func TestEqualAllocations(t *testing.T) {
	tests := []struct {
		name  string
		kinds []typev1.ServiceLevelKind
		want  []int32
	}{
		// 10000 / 1 = 10000.
		{"one critical level takes the whole pool", []typev1.ServiceLevelKind{critical, kpi}, []int32{10000, 0}},
		// 10000 / 2 = 5000 each, no remainder.
		{"two share evenly", []typev1.ServiceLevelKind{critical, critical}, []int32{5000, 5000}},
		// 10000 / 3 = 3333 rest 1: the first gets 3334; 3334+3333+3333 = 10000.
		{"the remainder goes to the first critical level", []typev1.ServiceLevelKind{kpi, critical, critical, critical}, []int32{0, 3334, 3333, 3333}},
		// 10000 / 7 = 1428 rest 4: 1432 + 6 × 1428 = 10000.
		{"seven levels", []typev1.ServiceLevelKind{critical, critical, critical, critical, critical, critical, critical}, []int32{1432, 1428, 1428, 1428, 1428, 1428, 1428}},
		{"no critical level, no allocation", []typev1.ServiceLevelKind{kpi}, []int32{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var levels []*typev1.ServiceLevel
			for i, k := range tt.kinds {
				levels = append(levels, level(string(rune('a'+i)), k, 0))
			}
			EqualAllocations(levels)
			var got []int32
			for _, l := range levels {
				got = append(got, l.GetAllocationBps())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("allocations %v, want %v", got, tt.want)
			}
		})
	}
}

// awarded is catalog's side of an award: a US engagement with an
// approved scope of two critical levels and a KPI, awarded to a
// fixed-price proposal of USD 125,000.00 a month.
func awarded() Award {
	return Award{
		Engagement: &catalogv1.Engagement{
			Name:        "engagements/E1",
			DisplayName: "Customer support",
			Award: &catalogv1.EngagementAward{
				SourcingEvent:      "sourcingEvents/S1",
				Proposal:           "sourcingEvents/S1/proposals/P9",
				Provider:           "providers/P1",
				TotalContractValue: &typev1.Money{CurrencyCode: "USD", MinorUnits: 450_000_000},
			},
		},
		Proposal: &catalogv1.Proposal{
			Name: "sourcingEvents/S1/proposals/P9",
			Pricing: &catalogv1.ProposalPricing{
				Model:      catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE,
				MonthlyFee: &typev1.Money{CurrencyCode: "USD", MinorUnits: 12_500_000},
			},
		},
		Scope: &catalogv1.Scope{
			Coverage:      &catalogv1.Coverage{ServiceTimeZone: "America/Chicago"},
			ServiceLevels: []*typev1.ServiceLevel{level("asa_20s", critical, 0), level("aht", kpi, 0), level("fcr", critical, 0), level("csat", critical, 0)},
			Transition:    &catalogv1.TransitionTerms{GoLiveDate: day(2026, 4, 1)},
			Commercial:    &catalogv1.CommercialTerms{TermMonths: 36, CurrencyCode: "USD"},
		},
	}
}

func TestPrefill(t *testing.T) {
	want := &contractv1.Contract{
		Engagement:      "engagements/E1",
		Provider:        "providers/P1",
		Proposal:        "sourcingEvents/S1/proposals/P9",
		DisplayName:     "Customer support",
		Type:            contractv1.ContractType_CONTRACT_TYPE_FIXED_PRICE,
		ServiceTimeZone: "America/Chicago",
		CurrencyCode:    "USD",
		MonthlyFee:      &typev1.Money{CurrencyCode: "USD", MinorUnits: 12_500_000},
		StartDate:       day(2026, 4, 1),
		// 1 Apr 2026 + 36 months − 1 day.
		EndDate: day(2029, 3, 31),
		// Three critical levels: 3334, 3333, 3333; the KPI none.
		ServiceLevels: []*typev1.ServiceLevel{level("asa_20s", critical, 3334), level("aht", kpi, 0), level("fcr", critical, 3333), level("csat", critical, 3333)},
		CreditRegime:  &contractv1.CreditRegime{AtRiskBps: 1200, ChronicMisses: 3, ChronicWindow: 6},
	}
	t.Run("from the award and the scope", func(t *testing.T) {
		got := Prefill(awarded(), &contractv1.Contract{Engagement: "engagements/E1"})
		if d := cmp.Diff(want, got, protocmp.Transform()); d != "" {
			t.Errorf("pre-fill (-want +got):\n%s", d)
		}
		if err := ValidateForReview(got, "contract"); violationFields(t, err)[0] != "contract.client_signatory" || len(violationFields(t, err)) != 1 {
			t.Errorf("a pre-filled draft lacks only its signatory, got %v", err)
		}
	})
	t.Run("the request overrides", func(t *testing.T) {
		req := &contractv1.Contract{
			Engagement:      "engagements/E1",
			Provider:        "providers/SOMEONE-ELSE", // output only: ignored
			DisplayName:     "Support 2026",
			ClientSignatory: "cfo@client",
			StartDate:       day(2026, 5, 1), // the end follows: 30 Apr 2029
			MonthlyFee:      &typev1.Money{CurrencyCode: "USD", MinorUnits: 12_000_000},
			CreditRegime:    &contractv1.CreditRegime{AtRiskBps: 1500},
		}
		got := Prefill(awarded(), req)
		w := proto.Clone(want).(*contractv1.Contract)
		w.DisplayName, w.ClientSignatory = "Support 2026", "cfo@client"
		w.StartDate, w.EndDate = day(2026, 5, 1), day(2029, 4, 30)
		w.MonthlyFee.MinorUnits = 12_000_000
		w.CreditRegime.AtRiskBps = 1500
		if d := cmp.Diff(w, got, protocmp.Transform()); d != "" {
			t.Errorf("pre-fill (-want +got):\n%s", d)
		}
		req.MonthlyFee.MinorUnits = 1
		if got.GetMonthlyFee().GetMinorUnits() != 12_000_000 {
			t.Error("the draft shares the request's messages")
		}
	})
	t.Run("a set end date is kept", func(t *testing.T) {
		got := Prefill(awarded(), &contractv1.Contract{EndDate: day(2027, 12, 31)})
		if !proto.Equal(got.GetEndDate(), day(2027, 12, 31)) {
			t.Errorf("end %v", got.GetEndDate())
		}
	})
	t.Run("without go-live nor fixed price", func(t *testing.T) {
		a := awarded()
		a.Scope.Transition = nil
		a.Proposal.Pricing = &catalogv1.ProposalPricing{Model: catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS}
		a.Engagement.Award.TotalContractValue = nil
		got := Prefill(a, nil)
		if got.GetStartDate() != nil || got.GetEndDate() != nil || got.GetMonthlyFee() != nil || got.GetCurrencyCode() != "USD" {
			t.Errorf("got start %v end %v fee %v currency %q", got.GetStartDate(), got.GetEndDate(), got.GetMonthlyFee(), got.GetCurrencyCode())
		}
		// The type is the one awarded, not FIXED_PRICE by default; review
		// then asks for the rate card the award never had, not for a
		// monthly fee.
		if got.GetType() != contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS {
			t.Errorf("type %v, want the award's TIME_AND_MATERIALS", got.GetType())
		}
		if fields := violationFields(t, ValidateForReview(got, "contract")); !slices.Contains(fields, "contract.rate_card") || slices.Contains(fields, "contract.monthly_fee") {
			t.Errorf("review of a T&M draft complains about %v, want the rate card and no monthly fee", fields)
		}
	})
}

func TestNext(t *testing.T) {
	tests := []struct {
		from   contractv1.ContractState
		action Action
		want   contractv1.ContractState
		ok     bool
	}{
		{draft, Edit, draft, true},
		{draft, Submit, inReview, true},
		{inReview, Approve, approved, true},
		{approved, Sign, signed, true},
		{signed, Commence, signed, true},
		{draft, Approve, draft, false},
		{inReview, Edit, inReview, false},
		{approved, Submit, approved, false},
		{draft, Sign, draft, false},
		{signed, Edit, signed, false},
		{signed, Sign, signed, false},
		{approved, Commence, approved, false},
		{signed, Terminate, terminated, true},
		{draft, Terminate, draft, false},
		{inReview, Terminate, inReview, false},
		{approved, Terminate, approved, false},
		{terminated, Terminate, terminated, false},
		{terminated, Edit, terminated, false},
		{terminated, Commence, terminated, false},
	}
	for _, tt := range tests {
		t.Run(protoenum.Short(tt.from)+" "+string(tt.action), func(t *testing.T) {
			got, err := Next(tt.from, tt.action)
			if tt.ok {
				if err != nil || got != tt.want {
					t.Fatalf("Next = %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			wantKind(t, err, apperr.FailedPrecondition)
		})
	}
	_, err := Next(signed, Edit)
	if err.Error() != "the contract is SIGNED and cannot edit: signed contracts change only by amendment" {
		t.Errorf("message %q", err)
	}
}

func TestCheckApprover(t *testing.T) {
	c := reviewable()
	if err := CheckApprover(c, Party{Subject: "approver@client"}); err != nil {
		t.Errorf("another approver: %v", err)
	}
	err := CheckApprover(c, Party{Subject: "cm@client"})
	wantKind(t, err, apperr.PermissionDenied)
	if got := err.Error(); got != "an approver cannot approve a contract they drafted; another approver must approve contracts/C1" {
		t.Errorf("message %q", got)
	}
	wantKind(t, CheckApprover(c, Party{Subject: "approver@provider", ProviderUser: true, Provider: "providers/P1"}), apperr.PermissionDenied)
}

func TestCheckApproverRefusesAnEditor(t *testing.T) {
	// cm@client drafted it; lead@client, a contract manager who is also an
	// approver, then edited it: lead@client must not approve what they shaped.
	c := reviewable()
	AddEditor(c, "cm@client")
	AddEditor(c, "lead@client")
	AddEditor(c, "lead@client") // editing twice records once
	if got := c.GetEditors(); len(got) != 2 {
		t.Fatalf("editors = %v, want [cm@client lead@client]", got)
	}
	err := CheckApprover(c, Party{Subject: "lead@client"})
	wantKind(t, err, apperr.PermissionDenied)
	if got := err.Error(); got != "an approver cannot approve a contract they edited; another approver must approve contracts/C1" {
		t.Errorf("message %q", got)
	}
	if err := CheckApprover(c, Party{Subject: "approver@client"}); err != nil {
		t.Errorf("an approver who never touched it: %v", err)
	}
}

func TestAddSignature(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)
	client := Party{Subject: "cfo@client"}
	provider := Party{Subject: "ceo@provider", ProviderUser: true, Provider: "providers/P1"}

	c := reviewable()
	c.State = approved
	if changed, err := AddSignature(c, client, now); err != nil || !changed {
		t.Fatalf("client signs: %v %v", changed, err)
	}
	if c.GetState() != approved || c.GetClientSignature().GetSigner() != "cfo@client" || !c.GetClientSignature().GetSignTime().AsTime().Equal(now) {
		t.Fatalf("after the client: %v %v", c.GetState(), c.GetClientSignature())
	}
	if changed, err := AddSignature(c, client, now.Add(time.Hour)); err != nil || changed {
		t.Fatalf("the client signs again: %v %v", changed, err)
	}
	wantKind(t, second(AddSignature(c, Party{Subject: "other@provider", ProviderUser: true, Provider: "providers/P2"}, now)), apperr.PermissionDenied)
	wantKind(t, second(AddSignature(c, Party{Subject: "cm@client"}, now)), apperr.PermissionDenied)
	// A provider user named as the client signatory still signs only for
	// its provider.
	sneaky := reviewable()
	sneaky.State, sneaky.ClientSignatory = approved, "ceo@provider"
	if _, err := AddSignature(sneaky, provider, now); err != nil || sneaky.GetClientSignature() != nil || sneaky.GetProviderSignature() == nil {
		t.Fatalf("provider as signatory: %v %v", sneaky.GetClientSignature(), err)
	}
	if changed, err := AddSignature(c, provider, now); err != nil || !changed {
		t.Fatalf("provider signs: %v %v", changed, err)
	}
	if c.GetState() != signed || c.GetProviderSignature().GetSigner() != "ceo@provider" {
		t.Fatalf("after both: %v %v", c.GetState(), c.GetProviderSignature())
	}
	wantKind(t, second(AddSignature(c, provider, now)), apperr.FailedPrecondition)

	d := reviewable()
	wantKind(t, second(AddSignature(d, client, now)), apperr.FailedPrecondition)
}

func second(_ bool, err error) error { return err }

func TestRecordCommencement(t *testing.T) {
	c := reviewable()
	c.State = signed
	if changed, err := RecordCommencement(c, day(2026, 4, 1), "commencement_date"); err != nil || !changed {
		t.Fatalf("first: %v %v", changed, err)
	}
	if changed, err := RecordCommencement(c, day(2026, 4, 1), "commencement_date"); err != nil || changed {
		t.Fatalf("same again: %v %v", changed, err)
	}
	err := second(RecordCommencement(c, day(2026, 5, 1), "commencement_date"))
	wantKind(t, err, apperr.FailedPrecondition)
	if got := err.Error(); got != "service under contracts/C1 already commenced on 2026-04-01; the commencement date is recorded once" {
		t.Errorf("message %q", got)
	}
	fresh := reviewable()
	fresh.State = signed
	if got := violationFields(t, second(RecordCommencement(fresh, day(2029, 1, 1), "commencement_date"))); !slices.Equal(got, []string{"commencement_date"}) {
		t.Errorf("after the term: %v", got)
	}
	fresh.State = approved
	wantKind(t, second(RecordCommencement(fresh, day(2026, 4, 1), "commencement_date")), apperr.FailedPrecondition)
}

func TestApplyMask(t *testing.T) {
	stored := reviewable()
	t.Run("empty mask takes the fields set", func(t *testing.T) {
		c := proto.Clone(stored).(*contractv1.Contract)
		if err := ApplyMask(c, &contractv1.Contract{DisplayName: "New", EscalationCapBps: 300}, nil); err != nil {
			t.Fatal(err)
		}
		if c.GetDisplayName() != "New" || c.GetEscalationCapBps() != 300 || c.GetClientSignatory() != "cfo@client" {
			t.Errorf("got %v", c)
		}
	})
	t.Run("a named field is cleared when unset", func(t *testing.T) {
		c := proto.Clone(stored).(*contractv1.Contract)
		if err := ApplyMask(c, &contractv1.Contract{}, []string{"client_signatory", "monthly_fee"}); err != nil {
			t.Fatal(err)
		}
		if c.GetClientSignatory() != "" || c.GetMonthlyFee() != nil || c.GetServiceTimeZone() == "" {
			t.Errorf("got %v", c)
		}
	})
	t.Run("immutable and unknown fields are refused", func(t *testing.T) {
		c := proto.Clone(stored).(*contractv1.Contract)
		err := ApplyMask(c, &contractv1.Contract{Engagement: "engagements/E2"}, []string{"state", "engagement", "nonsense"})
		if got := violationFields(t, err); len(got) != 2 {
			t.Errorf("violations %v, want engagement's and nonsense's", got)
		}
	})
	t.Run("an output-only field is ignored, never stored", func(t *testing.T) {
		c := proto.Clone(stored).(*contractv1.Contract)
		in := &contractv1.Contract{DisplayName: "New", State: signed, Provider: "providers/FORGED"}
		if err := ApplyMask(c, in, []string{"state", "provider", "display_name"}); err != nil {
			t.Fatal(err)
		}
		if c.GetState() != stored.GetState() || c.GetProvider() != stored.GetProvider() || c.GetDisplayName() != "New" {
			t.Errorf("got %v", c)
		}
	})
	t.Run("restating the engagement is no change", func(t *testing.T) {
		c := proto.Clone(stored).(*contractv1.Contract)
		if err := ApplyMask(c, &contractv1.Contract{Engagement: "engagements/E1"}, []string{"engagement"}); err != nil {
			t.Error(err)
		}
	})
}
