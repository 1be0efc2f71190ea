package plan_test

import (
	"testing"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/services/transition/plan"
)

// FuzzParseDecimal: whatever a provider sends as a parallel-run value,
// ParseDecimal never panics, refuses exponents and fractions, and a value
// it accepts compares with itself as met both ways.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"82.5", "4.31", "-1", "0", "1e9", "1/3", "", " 7 ", "NaN", "Inf", "0x10", "99999999999999999999999999.000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := plan.ParseDecimal(s)
		if !ok {
			return
		}
		if r == nil {
			t.Fatalf("%q accepted as nil", s)
		}
		if !plan.Met(s, typev1.Comparator_COMPARATOR_AT_LEAST, s) || !plan.Met(s, typev1.Comparator_COMPARATOR_AT_MOST, s) {
			t.Fatalf("%q does not meet itself", s)
		}
	})
}
