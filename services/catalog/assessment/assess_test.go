package assessment_test

import (
	"math"
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/services/catalog/assessment"
)

// Throughout: the annuity factor of the 3-year NPV at the default 8 % is
//
//	1/1.08 + 1/1.08² + 1/1.08³ = 25/27 + 625/729 + 15625/19683
//	                          = (18225 + 16875 + 15625) / 19683 = 50725/19683 ≈ 2.5770970
//
// so NPV = −T + S × 50725/19683, rounded half-even to the cent once.

const (
	on   = catalogv1.ShoreModel_SHORE_MODEL_ONSHORE
	near = catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE
	off  = catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE
)

// wantCase is a business case in minor units.
type wantCase struct {
	allowed          bool
	c, r, g, t, s    int64
	payback          int32
	npv              int64
	reasonContaining string
}

func TestAssess(t *testing.T) {
	tests := []struct {
		name         string
		process      *catalogv1.Process
		policy       *catalogv1.AssessmentPolicy
		wantFactors  [6]float64 // contributions, points
		wantScore    float64
		wantRec      catalogv1.Recommendation
		wantModel    catalogv1.CollaborationModel
		wantCases    map[catalogv1.ShoreModel]wantCase
		wantRecShore catalogv1.ShoreModel
	}{
		{
			// Customer support of a US retailer: 40 FTE at USD 60,000.00.
			//   non_core       (5−2)/4 = 0.75 × 2500 bps → 18.75
			//   repeatability  (5−1)/4 = 1    × 2000 bps → 20
			//   scale          min(1, log10(1 000 000)/6) = 1 × 1500 → 15
			//   simplicity     (5−2)/4 = 0.75 × 1000 bps → 7.5
			//   documentation  (4−1)/4 = 0.75 × 1500 bps → 11.25
			//   low_sensitivity CONFIDENTIAL 0.5 × 1500 → 7.5
			//   score = 18.75+20+15+7.5+11.25+7.5 = 80.0 ≥ 65 → OUTSOURCE;
			//   fte 40 ≥ 10 → COMPLETE.
			// C = 40 × 6 000 000 = 240 000 000 cents; T = 0.25 C = 60 000 000.
			//   onshore   R = 0.80 C = 192 000 000; G = 0.08 R = 15 360 000;
			//             S = 240 000 000 − 192 000 000 − 15 360 000 = 32 640 000;
			//             payback = ceil(12 × 60 000 000 / 32 640 000) = ceil(22.06) = 23;
			//             NPV = −60 000 000 + 32 640 000 × 50725/19683
			//                 = −60 000 000 + 84 116 445.66… = 24 116 445.66… → 24 116 446.
			//   nearshore R = 0.60 C = 144 000 000; G = 11 520 000; S = 84 480 000;
			//             payback = ceil(720 000 000 / 84 480 000) = ceil(8.52) = 9;
			//             NPV = −60 000 000 + 217 713 153.48… = 157 713 153.48… → 157 713 153.
			//   offshore  R = 0.45 C = 108 000 000; G = 8 640 000; S = 123 360 000;
			//             payback = ceil(720 000 000 / 123 360 000) = ceil(5.84) = 6;
			//             NPV = −60 000 000 + 317 910 684.35… = 257 910 684.35… → 257 910 684.
			//   highest NPV: OFFSHORE.
			name: "customer support: outsource completely, offshore",
			process: process(func(p *catalogv1.Process) {
				p.Fte, p.AnnualCostPerFte, p.AnnualVolume = "40", usd(6_000_000), 1_000_000
				p.Repetitiveness, p.Complexity, p.StrategicImportance, p.DocumentationMaturity = 5, 2, 2, 4
				p.DataClassification = catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL
			}),
			wantFactors: [6]float64{18.75, 20, 15, 7.5, 11.25, 7.5},
			wantScore:   80.0,
			wantRec:     catalogv1.Recommendation_RECOMMENDATION_OUTSOURCE,
			wantModel:   catalogv1.CollaborationModel_COLLABORATION_MODEL_COMPLETE,
			wantCases: map[catalogv1.ShoreModel]wantCase{
				on:   {true, 240_000_000, 192_000_000, 15_360_000, 60_000_000, 32_640_000, 23, 24_116_446, "not above OFFSHORE's USD 2579106.84"},
				near: {true, 240_000_000, 144_000_000, 11_520_000, 60_000_000, 84_480_000, 9, 157_713_153, "not above OFFSHORE's"},
				off:  {true, 240_000_000, 108_000_000, 8_640_000, 60_000_000, 123_360_000, 6, 257_910_684, ""},
			},
			wantRecShore: off,
		},
		{
			// Payroll with regulated data that must stay in the US: 7.5 FTE
			// at USD 55,555.55, 1 000 payslips a year.
			//   non_core       (5−3)/4 = 0.5  × 2500 → 12.5
			//   repeatability  (4−1)/4 = 0.75 × 2000 → 15
			//   scale          log10(1000)/6 = 3/6 = 0.5 × 1500 → 7.5 (exact)
			//   simplicity     (5−3)/4 = 0.5  × 1000 → 5
			//   documentation  (3−1)/4 = 0.5  × 1500 → 7.5
			//   low_sensitivity REGULATED 0.2 × 1500 → 3
			//   score = 50.5: ≥ 40 and < 65 → HYBRID, collaboration HYBRID.
			// C = 7.5 × 5 555 555 = 41 666 662.5 → half-even → 41 666 662;
			// T = 0.25 C = 10 416 665.5 → half-even → 10 416 666.
			//   onshore   R = 0.8 C = 33 333 329.6 → 33 333 330; G = 0.08 R = 2 666 666.4 → 2 666 666;
			//             S = 41 666 662 − 33 333 330 − 2 666 666 = 5 666 666;
			//             payback = ceil(124 999 992 / 5 666 666) = ceil(22.06) = 23;
			//             NPV = −10 416 666 + 5 666 666 × 50725/19683 = 4 186 881.88 → 4 186 882.
			//   nearshore R = 0.6 C = 24 999 997.2 → 24 999 997; G = 1 999 999.76 → 2 000 000;
			//             S = 14 666 665; payback = ceil(8.52) = 9; NPV = 27 380 752.18 → 27 380 752.
			//   offshore  R = 0.45 C = 18 749 997.9 → 18 749 998; G = 1 499 999.84 → 1 500 000;
			//             S = 21 416 664; payback = ceil(5.84) = 6; NPV = 44 776 154.27 → 44 776 154.
			//   Data limited to the home country: NEARSHORE and OFFSHORE ruled
			//   out (OFFSHORE for REGULATED data too), so ONSHORE it is, though
			//   its NPV is the lowest.
			name: "regulated payroll kept in the country: hybrid, onshore only",
			process: process(func(p *catalogv1.Process) {
				p.Function = catalogv1.BusinessFunction_BUSINESS_FUNCTION_PAYROLL
				p.Fte, p.AnnualCostPerFte, p.AnnualVolume = "7.5", usd(5_555_555), 1000
				p.Repetitiveness, p.Complexity, p.StrategicImportance, p.DocumentationMaturity = 4, 3, 3, 3
				p.DataClassification = catalogv1.DataClassification_DATA_CLASSIFICATION_REGULATED
				p.AllowedDataCountries = []string{"US"}
			}),
			wantFactors: [6]float64{12.5, 15, 7.5, 5, 7.5, 3},
			wantScore:   50.5,
			wantRec:     catalogv1.Recommendation_RECOMMENDATION_HYBRID,
			wantModel:   catalogv1.CollaborationModel_COLLABORATION_MODEL_HYBRID,
			wantCases: map[catalogv1.ShoreModel]wantCase{
				on:   {true, 41_666_662, 33_333_330, 2_666_666, 10_416_666, 5_666_666, 23, 4_186_882, ""},
				near: {false, 41_666_662, 24_999_997, 2_000_000, 10_416_666, 14_666_665, 9, 27_380_752, "only in its home country US"},
				off:  {false, 41_666_662, 18_749_998, 1_500_000, 10_416_666, 21_416_664, 6, 44_776_154, "REGULATED data never goes offshore"},
			},
			wantRecShore: on,
		},
		{
			// Research that is core to a German company: 12 FTE at EUR 90,000.00.
			//   non_core (5−5)/4 = 0; repeatability (1−1)/4 = 0;
			//   scale log10(max(0, 1))/6 = 0; simplicity (5−5)/4 = 0;
			//   documentation (1−1)/4 = 0; low_sensitivity REGULATED 0.2 × 1500 → 3.
			//   score = 3.0, and strategic importance 5 → RETAIN, no collaboration model.
			// C = 12 × 9 000 000 = 108 000 000; T = 27 000 000.
			//   onshore   R = 86 400 000; G = 6 912 000; S = 14 688 000;
			//             payback = ceil(324 000 000 / 14 688 000) = ceil(22.06) = 23;
			//             NPV = −27 000 000 + 14 688 000 × 50725/19683 = 10 852 400.55 → 10 852 401.
			//   nearshore R = 64 800 000; G = 5 184 000; S = 38 016 000;
			//             payback = ceil(8.52) = 9; NPV = 70 970 919.07 → 70 970 919.
			//   offshore  R = 48 600 000; G = 3 888 000; S = 55 512 000;
			//             payback = ceil(5.84) = 6; NPV = 116 059 807.96 → 116 059 808,
			//             but REGULATED data may not go offshore → NEARSHORE.
			name: "core research: retain; the case still shows nearshore",
			process: process(func(p *catalogv1.Process) {
				p.Function = catalogv1.BusinessFunction_BUSINESS_FUNCTION_RESEARCH
				p.HomeCountry, p.HomeTimeZone = "DE", "Europe/Berlin"
				p.Fte, p.AnnualCostPerFte, p.AnnualVolume = "12", &typev1.Money{CurrencyCode: "EUR", MinorUnits: 9_000_000}, 0
				p.Repetitiveness, p.Complexity, p.StrategicImportance, p.DocumentationMaturity = 1, 5, 5, 1
				p.DataClassification = catalogv1.DataClassification_DATA_CLASSIFICATION_REGULATED
			}),
			wantFactors: [6]float64{0, 0, 0, 0, 0, 3},
			wantScore:   3.0,
			wantRec:     catalogv1.Recommendation_RECOMMENDATION_RETAIN,
			wantModel:   catalogv1.CollaborationModel_COLLABORATION_MODEL_UNSPECIFIED,
			wantCases: map[catalogv1.ShoreModel]wantCase{
				on:   {true, 108_000_000, 86_400_000, 6_912_000, 27_000_000, 14_688_000, 23, 10_852_401, "not above NEARSHORE's"},
				near: {true, 108_000_000, 64_800_000, 5_184_000, 27_000_000, 38_016_000, 9, 70_970_919, ""},
				off:  {false, 108_000_000, 48_600_000, 3_888_000, 27_000_000, 55_512_000, 6, 116_059_808, "REGULATED"},
			},
			wantRecShore: near,
		},
		{
			// A score on a tie: non_core (5−4)/4 × 2500 = 6.25, low_sensitivity
			// PUBLIC 1 × 1500 = 15, everything else 0 → 21.25 → half-even to
			// one decimal → 21.2 (not 21.3). Below 40 → RETAIN.
			// 2 FTE at USD 1,000.00: C = 200 000; T = 50 000.
			//   onshore   R = 160 000; G = 12 800; S = 27 200;
			//             payback = ceil(600 000 / 27 200) = ceil(22.06) = 23;
			//             NPV = −50 000 + 27 200 × 50725/19683 = −50 000 + 70 097.04 = 20 097.04 → 20 097.
			//   nearshore R = 120 000; G = 9 600; S = 70 400; payback = ceil(8.52) = 9;
			//             NPV = −50 000 + 181 427.63 = 131 427.63 → 131 428.
			//   offshore  R = 90 000; G = 7 200; S = 102 800; payback = ceil(5.84) = 6;
			//             NPV = −50 000 + 264 925.57 = 214 925.57 → 214 926.
			name: "score on a tie rounds half-even; low score retains",
			process: process(func(p *catalogv1.Process) {
				p.Fte, p.AnnualCostPerFte, p.AnnualVolume = "2", usd(100_000), 1
				p.Repetitiveness, p.Complexity, p.StrategicImportance, p.DocumentationMaturity = 1, 5, 4, 1
				p.DataClassification = catalogv1.DataClassification_DATA_CLASSIFICATION_PUBLIC
			}),
			wantFactors: [6]float64{6.25, 0, 0, 0, 0, 15},
			wantScore:   21.2,
			wantRec:     catalogv1.Recommendation_RECOMMENDATION_RETAIN,
			wantModel:   catalogv1.CollaborationModel_COLLABORATION_MODEL_UNSPECIFIED,
			wantCases: map[catalogv1.ShoreModel]wantCase{
				on:   {true, 200_000, 160_000, 12_800, 50_000, 27_200, 23, 20_097, ""},
				near: {true, 200_000, 120_000, 9_600, 50_000, 70_400, 9, 131_428, ""},
				off:  {true, 200_000, 90_000, 7_200, 50_000, 102_800, 6, 214_926, ""},
			},
			wantRecShore: off,
		},
		{
			// A volume that is not a power of ten, and a small team.
			//   non_core (5−1)/4 = 1 × 2500 → 25; repeatability (5−1)/4 = 1 × 2000 → 20;
			//   scale log10(50 000)/6 = 4.69897/6 = 0.783162 × 1500 → 11.747425;
			//   simplicity (5−1)/4 = 1 × 1000 → 10; documentation (5−1)/4 = 1 × 1500 → 15;
			//   low_sensitivity INTERNAL 0.8 × 1500 → 12.
			//   score = 93.747425 → 93.7 → OUTSOURCE; 9.99 FTE < 10 → FUNCTION_SPECIFIC.
			// Allowed data countries PH and CO exclude the home country US, so
			// ONSHORE is ruled out.
			// C = 9.99 × 1 000 000 = 9 990 000; T = 0.25 C = 2 497 500.
			//   onshore   R = 7 992 000; G = 639 360; S = 1 358 640;
			//             payback = ceil(29 970 000 / 1 358 640) = ceil(22.06) = 23;
			//             NPV = −2 497 500 + 1 358 640 × 50725/19683 = 1 003 847.05 → 1 003 847 (ruled out).
			//   nearshore R = 5 994 000; G = 479 520; S = 3 516 480; payback = ceil(8.52) = 9;
			//             NPV = −2 497 500 + 9 062 310.01 = 6 564 810.01 → 6 564 810.
			//   offshore  R = 4 495 500; G = 359 640; S = 5 134 860; payback = ceil(5.84) = 6;
			//             NPV = −2 497 500 + 13 233 032.24 = 10 735 532.24 → 10 735 532.
			name: "non-power-of-ten volume; data abroad only rules onshore out",
			process: process(func(p *catalogv1.Process) {
				p.Fte, p.AnnualCostPerFte, p.AnnualVolume = "9.99", usd(1_000_000), 50_000
				p.Repetitiveness, p.Complexity, p.StrategicImportance, p.DocumentationMaturity = 5, 1, 1, 5
				p.DataClassification = catalogv1.DataClassification_DATA_CLASSIFICATION_INTERNAL
				p.AllowedDataCountries = []string{"PH", "CO"}
			}),
			wantFactors: [6]float64{25, 20, 1500 * math.Log10(50000) / 6 / 100, 10, 15, 12},
			wantScore:   93.7,
			wantRec:     catalogv1.Recommendation_RECOMMENDATION_OUTSOURCE,
			wantModel:   catalogv1.CollaborationModel_COLLABORATION_MODEL_FUNCTION_SPECIFIC,
			wantCases: map[catalogv1.ShoreModel]wantCase{
				on:   {false, 9_990_000, 7_992_000, 639_360, 2_497_500, 1_358_640, 23, 1_003_847, "may not be handled in its home country US"},
				near: {true, 9_990_000, 5_994_000, 479_520, 2_497_500, 3_516_480, 9, 6_564_810, "not above OFFSHORE's"},
				off:  {true, 9_990_000, 4_495_500, 359_640, 2_497_500, 5_134_860, 6, 10_735_532, ""},
			},
			wantRecShore: off,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := tt.policy
			if pol == nil {
				pol = assessment.DefaultPolicy()
			}
			if err := assessment.ValidateProcess(tt.process, "process"); err != nil {
				t.Fatalf("the test's process is invalid: %v", err)
			}
			a, err := assessment.Assess(tt.process, pol)
			if err != nil {
				t.Fatal(err)
			}
			if a.GetScore() != tt.wantScore {
				t.Errorf("score %v, want %v", a.GetScore(), tt.wantScore)
			}
			names := []string{"non_core", "repeatability", "scale", "simplicity", "documentation", "low_sensitivity"}
			if len(a.GetFactors()) != 6 {
				t.Fatalf("%d factors, want 6", len(a.GetFactors()))
			}
			for i, f := range a.GetFactors() {
				if f.GetFactor() != names[i] || math.Abs(f.GetContribution()-tt.wantFactors[i]) > 1e-9 {
					t.Errorf("factor %d: %s contributes %v, want %s %v", i, f.GetFactor(), f.GetContribution(), names[i], tt.wantFactors[i])
				}
				if math.Abs(f.GetValue()*float64(f.GetWeightBps())/100-f.GetContribution()) > 1e-9 {
					t.Errorf("factor %s: value %v × weight %d bps is not its contribution %v", f.GetFactor(), f.GetValue(), f.GetWeightBps(), f.GetContribution())
				}
			}
			if a.GetRecommendation() != tt.wantRec || a.GetCollaborationModel() != tt.wantModel {
				t.Errorf("recommendation %v / %v, want %v / %v", a.GetRecommendation(), a.GetCollaborationModel(), tt.wantRec, tt.wantModel)
			}
			if a.GetRecommendationReason() == "" {
				t.Error("no recommendation reason")
			}
			if a.GetRecommendedShoreModel() != tt.wantRecShore {
				t.Errorf("recommended shore model %v, want %v", a.GetRecommendedShoreModel(), tt.wantRecShore)
			}
			if len(a.GetBusinessCases()) != 3 {
				t.Fatalf("%d business cases, want one per shore model", len(a.GetBusinessCases()))
			}
			for _, bc := range a.GetBusinessCases() {
				w, ok := tt.wantCases[bc.GetShoreModel()]
				if !ok {
					continue
				}
				got := wantCase{
					bc.GetAllowed(), bc.GetInHouseAnnualCost().GetMinorUnits(), bc.GetAnnualRunCost().GetMinorUnits(),
					bc.GetAnnualGovernanceCost().GetMinorUnits(), bc.GetTransitionCost().GetMinorUnits(),
					bc.GetAnnualSaving().GetMinorUnits(), bc.GetPaybackMonths(), bc.GetNpv_3Y().GetMinorUnits(), "",
				}
				wantNoReason := w
				wantNoReason.reasonContaining = ""
				if got != wantNoReason {
					t.Errorf("%v: got %+v\nwant %+v", bc.GetShoreModel(), got, wantNoReason)
				}
				if w.reasonContaining != "" && !strings.Contains(bc.GetRuledOutReason(), w.reasonContaining) {
					t.Errorf("%v: reason %q does not say %q", bc.GetShoreModel(), bc.GetRuledOutReason(), w.reasonContaining)
				}
				if bc.GetShoreModel() == tt.wantRecShore && bc.GetRuledOutReason() != "" {
					t.Errorf("the recommended %v has a ruled-out reason %q", bc.GetShoreModel(), bc.GetRuledOutReason())
				}
				if bc.GetShoreModel() != tt.wantRecShore && bc.GetRuledOutReason() == "" {
					t.Errorf("%v is not recommended but does not say why", bc.GetShoreModel())
				}
			}
		})
	}
}

func TestCase(t *testing.T) {
	tests := []struct {
		name                                   string
		c                                      int64
		rate, governance, transition, discount int32
		want                                   wantCase
	}{
		{
			// A run cost that eats the saving: R = 0.95 × 1 000 000 = 950 000;
			// G = 0.08 R = 76 000; S = 1 000 000 − 950 000 − 76 000 = −26 000 ≤ 0
			// → no payback (0). T = 250 000.
			// NPV = −250 000 − 26 000 × 50725/19683 = −250 000 − 67 004.52 = −317 004.52 → −317 005.
			name: "negative saving has no payback and a negative NPV",
			c:    1_000_000, rate: 9500, governance: 800, transition: 2500, discount: 800,
			want: wantCase{true, 1_000_000, 950_000, 76_000, 250_000, -26_000, 0, -317_005, ""},
		},
		{
			// No discounting: NPV = −T + 3 S. R = 500; G = 0; T = 0; S = 500;
			// payback = ceil(0 / …) = 0 months; NPV = 1 500.
			name: "zero rates: undiscounted NPV and immediate payback",
			c:    1_000, rate: 5000, governance: 0, transition: 0, discount: 0,
			want: wantCase{true, 1_000, 500, 0, 0, 500, 0, 1_500, ""},
		},
		{
			// Half-even on every line: C = 1 001; R = 0.5 × 1 001 = 500.5 → 500
			// (even); G = 0.1 × 500 = 50; T = 0.5 × 1 001 = 500.5 → 500;
			// S = 1 001 − 500 − 50 = 451; payback = ceil(6 000 / 451) = ceil(13.30) = 14.
			// NPV at 10 %: −500 + 451/1.1 + 451/1.21 + 451/1.331
			//   = −500 + 410 + 372.727… + 338.843… = 621.570… → 622.
			name: "ties round to even at each line; NPV rounded once",
			c:    1_001, rate: 5000, governance: 1000, transition: 5000, discount: 1000,
			want: wantCase{true, 1_001, 500, 50, 500, 451, 14, 622, ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bc, err := assessment.Case(money.New("USD", tt.c), tt.rate, tt.governance, tt.transition, tt.discount)
			if err != nil {
				t.Fatal(err)
			}
			got := wantCase{
				true, bc.GetInHouseAnnualCost().GetMinorUnits(), bc.GetAnnualRunCost().GetMinorUnits(),
				bc.GetAnnualGovernanceCost().GetMinorUnits(), bc.GetTransitionCost().GetMinorUnits(),
				bc.GetAnnualSaving().GetMinorUnits(), bc.GetPaybackMonths(), bc.GetNpv_3Y().GetMinorUnits(), "",
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestRecommendationThresholdsFromPolicy(t *testing.T) {
	// Process A of TestAssess scores 80.0; with outsource_from 85 it is
	// HYBRID, with retain_below 81 it is RETAIN.
	p := process(func(p *catalogv1.Process) {
		p.Fte, p.AnnualCostPerFte, p.AnnualVolume = "40", usd(6_000_000), 1_000_000
		p.Repetitiveness, p.Complexity, p.StrategicImportance, p.DocumentationMaturity = 5, 2, 2, 4
		p.DataClassification = catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL
	})
	tests := []struct {
		name   string
		change func(*catalogv1.AssessmentPolicy)
		want   catalogv1.Recommendation
	}{
		{"score 80.0 at the default thresholds outsources", func(*catalogv1.AssessmentPolicy) {}, catalogv1.Recommendation_RECOMMENDATION_OUTSOURCE},
		{"score 80.0 equal to outsource_from outsources", func(p *catalogv1.AssessmentPolicy) { p.OutsourceFrom = 80 }, catalogv1.Recommendation_RECOMMENDATION_OUTSOURCE},
		{"score 80.0 below outsource_from 85 is hybrid", func(p *catalogv1.AssessmentPolicy) { p.OutsourceFrom = 85 }, catalogv1.Recommendation_RECOMMENDATION_HYBRID},
		{"score 80.0 below retain_below 81 retains", func(p *catalogv1.AssessmentPolicy) { p.RetainBelow, p.OutsourceFrom = 81, 90 }, catalogv1.Recommendation_RECOMMENDATION_RETAIN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := assessment.DefaultPolicy()
			tt.change(pol)
			a, err := assessment.Assess(p, pol)
			if err != nil {
				t.Fatal(err)
			}
			if a.GetRecommendation() != tt.want {
				t.Errorf("recommendation %v, want %v (%s)", a.GetRecommendation(), tt.want, a.GetRecommendationReason())
			}
		})
	}
}

func TestRegulatedOffshoreWhenPolicyAllows(t *testing.T) {
	p := process(func(p *catalogv1.Process) {
		p.DataClassification = catalogv1.DataClassification_DATA_CLASSIFICATION_REGULATED
	})
	pol := assessment.DefaultPolicy()
	if got := assessment.RuledOut(p, pol); len(got[off]) != 1 || len(got[on]) != 0 || len(got[near]) != 0 {
		t.Errorf("default policy rules out %v, want OFFSHORE only", got)
	}
	pol.AllowRegulatedOffshore = true
	if got := assessment.RuledOut(p, pol); len(got) != 0 {
		t.Errorf("policy allowing regulated offshore still rules out %v", got)
	}
}

func TestValidatePolicy(t *testing.T) {
	tests := []struct {
		name   string
		change func(*catalogv1.AssessmentPolicy)
		want   []string
	}{
		{"defaults are valid", func(*catalogv1.AssessmentPolicy) {}, nil},
		{"weights moved between factors", func(p *catalogv1.AssessmentPolicy) {
			p.NonCoreWeightBps, p.ScaleWeightBps = 3000, 1000
		}, nil},
		{"weights summing to 9999", func(p *catalogv1.AssessmentPolicy) { p.ScaleWeightBps = 1499 }, []string{"assessment_policy.non_core_weight_bps"}},
		{"retain threshold above outsource threshold", func(p *catalogv1.AssessmentPolicy) { p.RetainBelow = 70 }, []string{"assessment_policy.retain_below"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := assessment.DefaultPolicy()
			tt.change(pol)
			checkViolations(t, assessment.ValidatePolicy(pol, "assessment_policy"), tt.want)
		})
	}
}
