// Package assessment holds the rules of step 1, decide: what a valid
// process is, the assessment policy, and the assessment itself — the
// suitability score with its factor breakdown, the recommendation, the
// collaboration model and the business case of every shore model, with
// exact money. spec: catalog.md §1.
//
// Decisions where the spec is silent:
//   - The score is rounded half-even to one decimal, like every rounding in
//     the platform, and the recommendation compares the rounded score (the
//     number the user sees) with the thresholds.
//   - The business case is computed for every shore model, ruled out or
//     not, so a ruled-out one still shows what it would have saved; only
//     allowed ones can be recommended. Ties of NPV go to the nearer shore
//     model (ONSHORE before NEARSHORE before OFFSHORE).
//   - allowed_data_countries that exclude the home country rule ONSHORE out
//     (the data may not stay where the in-house team works).
//   - A RETAIN recommendation still carries its business case and the
//     recommended shore model, for an engagement that overrides it.
package assessment

import (
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
)

// DefaultPolicy is the policy in force until an admin stores another, at
// revision 1. spec: catalog.md §1, the defaults of every weight and rate.
func DefaultPolicy() *catalogv1.AssessmentPolicy {
	return &catalogv1.AssessmentPolicy{
		Name:                    catalogv1.AssessmentPolicyResourceName{}.String(),
		Revision:                1,
		NonCoreWeightBps:        2500,
		RepeatabilityWeightBps:  2000,
		ScaleWeightBps:          1500,
		SimplicityWeightBps:     1000,
		DocumentationWeightBps:  1500,
		LowSensitivityWeightBps: 1500,
		RetainBelow:             40,
		OutsourceFrom:           65,
		OnshoreRateBps:          8000,
		NearshoreRateBps:        6000,
		OffshoreRateBps:         4500,
		GovernanceRateBps:       800,
		TransitionRateBps:       2500,
		DiscountRateBps:         800,
		AllowRegulatedOffshore:  false,
	}
}

// weights are the six factor weights of pol, in factor order.
func weights(pol *catalogv1.AssessmentPolicy) [6]int32 {
	return [6]int32{
		pol.GetNonCoreWeightBps(), pol.GetRepeatabilityWeightBps(), pol.GetScaleWeightBps(),
		pol.GetSimplicityWeightBps(), pol.GetDocumentationWeightBps(), pol.GetLowSensitivityWeightBps(),
	}
}

var weightFields = []string{
	"non_core_weight_bps", "repeatability_weight_bps", "scale_weight_bps",
	"simplicity_weight_bps", "documentation_weight_bps", "low_sensitivity_weight_bps",
}

// ValidatePolicy checks a policy about to be stored: the weights sum to
// 10 000 bps (so the score stays 0–100) and the RETAIN threshold is not
// above the OUTSOURCE one. The proto's constraints bound each number.
func ValidatePolicy(pol *catalogv1.AssessmentPolicy, prefix string) error {
	var v apperr.Violations
	var sum int64
	for _, w := range weights(pol) {
		sum += int64(w)
	}
	if sum != 10000 {
		v.Add(prefix+".non_core_weight_bps", "the six factor weights (%s) sum to %d bps; they must sum to 10000", strings.Join(weightFields, ", "), sum)
	}
	if pol.GetRetainBelow() > pol.GetOutsourceFrom() {
		v.Add(prefix+".retain_below", "is %d, above outsource_from %d; a score cannot be both below the RETAIN and at least the OUTSOURCE threshold", pol.GetRetainBelow(), pol.GetOutsourceFrom())
	}
	return v.Err()
}
