package assessment

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/protoenum"
)

// Factor names, in the order of the spec's table and of Assessment.factors.
const (
	NonCore        = "non_core"
	Repeatability  = "repeatability"
	Scale          = "scale"
	Simplicity     = "simplicity"
	Documentation  = "documentation"
	LowSensitivity = "low_sensitivity"
)

var factorNames = [6]string{NonCore, Repeatability, Scale, Simplicity, Documentation, LowSensitivity}

// ShoreModels are the shore models a business case is made for, nearest
// first (the order ties of NPV are broken in).
var ShoreModels = []catalogv1.ShoreModel{
	catalogv1.ShoreModel_SHORE_MODEL_ONSHORE,
	catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE,
	catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE,
}

// Assess computes the results of an assessment of p under pol: score and
// factors, recommendation and its reason, collaboration model, business
// cases and the recommended shore model. The caller names the assessment
// and adds the snapshot, the policy revision, who and when. p must be
// valid (ValidateProcess). spec: catalog.md §1, "Assessment".
func Assess(p *catalogv1.Process, pol *catalogv1.AssessmentPolicy) (*catalogv1.Assessment, error) {
	fte, err := ParseFTE(p.GetFte())
	if err != nil {
		return nil, fmt.Errorf("fte: %w", err)
	}
	a := &catalogv1.Assessment{PolicyRevision: pol.GetRevision()}

	// Score: the weighted factors summed exactly, then rounded once.
	values := factorValues(p)
	ws := weights(pol)
	sum := new(big.Rat)
	for i, v := range values {
		// 100 × (weight_bps / 10 000) × value = weight_bps × value / 100 points.
		points := new(big.Rat).Mul(v, big.NewRat(int64(ws[i]), 100))
		sum.Add(sum, points)
		val, _ := v.Float64()
		pts, _ := points.Float64()
		a.Factors = append(a.Factors, &catalogv1.ScoreFactor{Factor: factorNames[i], Value: val, WeightBps: ws[i], Contribution: pts})
	}
	tenths, err := money.RoundHalfEven(new(big.Rat).Mul(sum, big.NewRat(10, 1)))
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	a.Score = float64(tenths) / 10

	a.Recommendation, a.RecommendationReason = recommend(p, pol, tenths)
	a.CollaborationModel = collaboration(a.Recommendation, fte)
	a.BusinessCases, a.RecommendedShoreModel, err = businessCases(p, pol, fte)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// factorValues are the six factor values of p, each in 0–1. spec:
// catalog.md §1, the factor table.
func factorValues(p *catalogv1.Process) [6]*big.Rat {
	sensitivity := map[catalogv1.DataClassification]*big.Rat{
		catalogv1.DataClassification_DATA_CLASSIFICATION_PUBLIC:       big.NewRat(1, 1),
		catalogv1.DataClassification_DATA_CLASSIFICATION_INTERNAL:     big.NewRat(8, 10),
		catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL: big.NewRat(5, 10),
		catalogv1.DataClassification_DATA_CLASSIFICATION_REGULATED:    big.NewRat(2, 10),
	}[p.GetDataClassification()]
	if sensitivity == nil {
		sensitivity = new(big.Rat)
	}
	return [6]*big.Rat{
		big.NewRat(int64(5-p.GetStrategicImportance()), 4),
		big.NewRat(int64(p.GetRepetitiveness()-1), 4),
		scaleFactor(p.GetAnnualVolume()),
		big.NewRat(int64(5-p.GetComplexity()), 4),
		big.NewRat(int64(p.GetDocumentationMaturity()-1), 4),
		sensitivity,
	}
}

// scaleFactor is min(1, log10(max(volume, 1)) / 6). A power of ten gives
// an exact k/6 (math.Log10 is not exact there: log10(1000) comes out just
// under 3); any other volume's logarithm is irrational, so the nearest
// float64 is as exact as it can be and can never sit on a rounding tie.
func scaleFactor(volume int64) *big.Rat {
	if volume <= 1 {
		return new(big.Rat)
	}
	if volume >= 1_000_000 {
		return big.NewRat(1, 1)
	}
	for k, pow := int64(1), int64(10); pow <= volume; k, pow = k+1, pow*10 {
		if pow == volume {
			return big.NewRat(k, 6)
		}
	}
	return new(big.Rat).SetFloat64(math.Log10(float64(volume)) / 6)
}

// recommend applies the thresholds to the score in tenths. spec:
// catalog.md §1, "Recommendation".
func recommend(p *catalogv1.Process, pol *catalogv1.AssessmentPolicy, tenths int64) (catalogv1.Recommendation, string) {
	score := fmt.Sprintf("%d.%d", tenths/10, tenths%10)
	switch {
	case p.GetStrategicImportance() == 5:
		return catalogv1.Recommendation_RECOMMENDATION_RETAIN, fmt.Sprintf("strategic importance is 5: the process is core to the business, so it stays in-house whatever its score (%s)", score)
	case tenths < int64(pol.GetRetainBelow())*10:
		return catalogv1.Recommendation_RECOMMENDATION_RETAIN, fmt.Sprintf("score %s is below %d: too little to gain from outsourcing", score, pol.GetRetainBelow())
	case tenths >= int64(pol.GetOutsourceFrom())*10:
		return catalogv1.Recommendation_RECOMMENDATION_OUTSOURCE, fmt.Sprintf("score %s is at least %d: a good candidate to outsource", score, pol.GetOutsourceFrom())
	}
	return catalogv1.Recommendation_RECOMMENDATION_HYBRID, fmt.Sprintf("score %s is at least %d but below %d: outsource part of the work and keep part in-house", score, pol.GetRetainBelow(), pol.GetOutsourceFrom())
}

// collaboration is the collaboration model of a recommendation. spec:
// catalog.md §1, "Collaboration model".
func collaboration(r catalogv1.Recommendation, fte *big.Rat) catalogv1.CollaborationModel {
	switch r {
	case catalogv1.Recommendation_RECOMMENDATION_OUTSOURCE:
		if fte.Cmp(big.NewRat(10, 1)) >= 0 {
			return catalogv1.CollaborationModel_COLLABORATION_MODEL_COMPLETE
		}
		return catalogv1.CollaborationModel_COLLABORATION_MODEL_FUNCTION_SPECIFIC
	case catalogv1.Recommendation_RECOMMENDATION_HYBRID:
		return catalogv1.CollaborationModel_COLLABORATION_MODEL_HYBRID
	}
	return catalogv1.CollaborationModel_COLLABORATION_MODEL_UNSPECIFIED
}

// RuledOut says why the constraints of p rule each shore model out under
// pol; a model missing from the map is allowed. spec: catalog.md §1,
// "Business case": data limited to the home country allows ONSHORE only;
// REGULATED data never goes OFFSHORE unless the policy says so.
func RuledOut(p *catalogv1.Process, pol *catalogv1.AssessmentPolicy) map[catalogv1.ShoreModel][]string {
	out := map[catalogv1.ShoreModel][]string{}
	home, allowed := p.GetHomeCountry(), p.GetAllowedDataCountries()
	if len(allowed) > 0 {
		onlyHome := !slices.ContainsFunc(allowed, func(c string) bool { return c != home })
		if onlyHome {
			reason := fmt.Sprintf("the process's data may be handled only in its home country %s (allowed_data_countries)", home)
			out[catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE] = append(out[catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE], reason)
			out[catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE] = append(out[catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE], reason)
		} else if !slices.Contains(allowed, home) {
			out[catalogv1.ShoreModel_SHORE_MODEL_ONSHORE] = append(out[catalogv1.ShoreModel_SHORE_MODEL_ONSHORE],
				fmt.Sprintf("the process's data may not be handled in its home country %s (allowed_data_countries: %s)", home, strings.Join(allowed, ", ")))
		}
	}
	if p.GetDataClassification() == catalogv1.DataClassification_DATA_CLASSIFICATION_REGULATED && !pol.GetAllowRegulatedOffshore() {
		out[catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE] = append(out[catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE],
			"REGULATED data never goes offshore unless the assessment policy allows it (allow_regulated_offshore)")
	}
	return out
}

// businessCases makes the business case of every shore model and picks the
// allowed one with the highest NPV.
func businessCases(p *catalogv1.Process, pol *catalogv1.AssessmentPolicy, fte *big.Rat) ([]*catalogv1.BusinessCase, catalogv1.ShoreModel, error) {
	cost := money.FromProto(p.GetAnnualCostPerFte())
	// C = fte × annual cost per FTE, half-even to the minor unit (exact for
	// a whole number of FTEs).
	c, err := cost.MulRat(fte)
	if err != nil {
		return nil, 0, fmt.Errorf("in-house annual cost: %w", err)
	}
	rates := map[catalogv1.ShoreModel]int32{
		catalogv1.ShoreModel_SHORE_MODEL_ONSHORE:   pol.GetOnshoreRateBps(),
		catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE: pol.GetNearshoreRateBps(),
		catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE:  pol.GetOffshoreRateBps(),
	}
	ruledOut := RuledOut(p, pol)
	var cases []*catalogv1.BusinessCase
	var best *catalogv1.BusinessCase
	for _, shore := range ShoreModels {
		bc, err := Case(c, rates[shore], pol.GetGovernanceRateBps(), pol.GetTransitionRateBps(), pol.GetDiscountRateBps())
		if err != nil {
			return nil, 0, fmt.Errorf("business case %s: %w", protoenum.Short(shore), err)
		}
		bc.ShoreModel = shore
		bc.Allowed = len(ruledOut[shore]) == 0
		if !bc.Allowed {
			bc.RuledOutReason = strings.Join(ruledOut[shore], "; ")
		} else if best == nil || bc.GetNpv_3Y().GetMinorUnits() > best.GetNpv_3Y().GetMinorUnits() {
			best = bc
		}
		cases = append(cases, bc)
	}
	if best == nil {
		return cases, catalogv1.ShoreModel_SHORE_MODEL_UNSPECIFIED, nil
	}
	for _, bc := range cases {
		if bc.Allowed && bc != best {
			bc.RuledOutReason = fmt.Sprintf("allowed, but its 3-year NPV %s is not above %s's %s",
				money.FromProto(bc.GetNpv_3Y()), protoenum.Short(best.GetShoreModel()), money.FromProto(best.GetNpv_3Y()))
		}
	}
	return cases, best.GetShoreModel(), nil
}

// Case is the business case of outsourcing work whose in-house annual cost
// is c at a run-cost rate, with the policy's governance, transition and
// discount rates, all in basis points. Each amount is rounded half-even to
// the minor unit where it is made; the NPV is computed exactly and rounded
// once. spec: catalog.md §1, "Business case".
func Case(c money.Amount, rateBps, governanceBps, transitionBps, discountBps int32) (*catalogv1.BusinessCase, error) {
	r, err := c.MulBps(int64(rateBps)) // R = C × rate factor
	if err != nil {
		return nil, err
	}
	g, err := r.MulBps(int64(governanceBps)) // G = R × governance rate
	if err != nil {
		return nil, err
	}
	t, err := c.MulBps(int64(transitionBps)) // T = C × transition rate
	if err != nil {
		return nil, err
	}
	s, err := c.Sub(r) // S = C − R − G
	if err == nil {
		s, err = s.Sub(g)
	}
	if err != nil {
		return nil, err
	}

	// payback = ceil(T / (S / 12)) = ceil(12 T / S) months; none when S ≤ 0.
	// In big integers: 12 T alone may be beyond an int64.
	var payback int64
	if s.Minor > 0 {
		n := new(big.Int).Mul(big.NewInt(12), big.NewInt(t.Minor))
		n.Add(n, big.NewInt(s.Minor-1))
		n.Quo(n, big.NewInt(s.Minor))
		payback = math.MaxInt32
		if n.IsInt64() {
			payback = min(n.Int64(), math.MaxInt32)
		}
	}

	// NPV = −T + Σ_{y=1..3} S / (1 + r)^y, exactly.
	npv := new(big.Rat).SetInt64(-t.Minor)
	growth := big.NewRat(10000+int64(discountBps), 10000)
	discount := big.NewRat(1, 1)
	for range 3 {
		discount.Mul(discount, growth)
		npv.Add(npv, new(big.Rat).Quo(new(big.Rat).SetInt64(s.Minor), discount))
	}

	npvMinor, err := money.RoundHalfEven(npv)
	if err != nil {
		return nil, fmt.Errorf("3-year NPV: %w", err)
	}
	return &catalogv1.BusinessCase{
		InHouseAnnualCost:    c.Proto(),
		AnnualRunCost:        r.Proto(),
		AnnualGovernanceCost: g.Proto(),
		TransitionCost:       t.Proto(),
		AnnualSaving:         s.Proto(),
		PaybackMonths:        int32(payback),
		Npv_3Y:               &typev1.Money{CurrencyCode: c.Currency, MinorUnits: npvMinor},
	}, nil
}
