package review

import (
	"testing"

	"github.com/acme/bpo/kit/apperr"
)

func TestRange(t *testing.T) {
	got, err := Range(Month{2025, 11}, Month{2026, 2})
	if err != nil {
		t.Fatal(err)
	}
	// November, December, January, February: across the year end.
	if len(got) != 4 || got[0].String() != "2025-11" || got[3].String() != "2026-02" {
		t.Errorf("got %v", got)
	}
	if _, err := Range(Month{2026, 3}, Month{2026, 2}); apperr.KindOf(err) != apperr.InvalidArgument {
		t.Errorf("last before first: %v", err)
	}
	// 2025-01 … 2026-01 is 13 months.
	if _, err := Range(Month{2025, 1}, Month{2026, 1}); apperr.KindOf(err) != apperr.InvalidArgument {
		t.Errorf("13 periods: %v", err)
	}
	if got, err := Range(Month{2025, 2}, Month{2026, 1}); err != nil || len(got) != 12 {
		t.Errorf("12 periods: %v %v", got, err)
	}
}

func TestCheckDecision(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Decision
		f    Facts
		ok   bool
	}{
		{"continue always", Continue, Facts{}, true},
		{"escalate always", Escalate, Facts{}, true},
		{"terminate without a chronic-failure right", TerminateForCause, Facts{OpenActionItems: 3}, false},
		{"terminate with one", TerminateForCause, Facts{ChronicFailureRight: true}, true},
		{"improvement plan without action items", ImprovementPlan, Facts{ChronicFailureRight: true}, false},
		{"improvement plan with one", ImprovementPlan, Facts{OpenActionItems: 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckDecision(tc.d, tc.f)
			if (err == nil) != tc.ok {
				t.Errorf("got %v, want ok=%v", err, tc.ok)
			}
			if err != nil && apperr.KindOf(err) != apperr.FailedPrecondition {
				t.Errorf("kind %v, want FAILED_PRECONDITION", apperr.KindOf(err))
			}
		})
	}
}
