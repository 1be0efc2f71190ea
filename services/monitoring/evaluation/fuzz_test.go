package evaluation

import (
	"math/big"
	"testing"

	"github.com/acme/bpo/kit/apperr"
)

// FuzzFixedMatchesRat checks the scaled-integer arithmetic aggregation uses
// against big.Rat, the reference for exact decimals: any two plain decimals
// compare and add alike.
func FuzzFixedMatchesRat(f *testing.F) {
	for _, seed := range [][2]string{
		{"20", "19.99"}, {"4.1", "4.25"}, {"-0.5", "0"}, {"0.1", "0.2"},
		{"19.9999999999999999999", "20"}, {"123456789012345678", "0.000000000000000000001"},
		{"-999999999999999999.9", "999999999999999999"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ra, errA := ParseDecimal(a)
		rb, errB := ParseDecimal(b)
		if errA != nil || errB != nil || len(a) > 60 || len(b) > 60 {
			return
		}
		var fa, fb fixed
		var tmp big.Int
		if !fa.set(a) || !fb.set(b) {
			t.Fatalf("fixed refused decimals %q, %q", a, b)
		}
		if got, want := fa.cmp(&fb, &tmp), ra.Cmp(rb); got != want {
			t.Fatalf("cmp(%q, %q) = %d, want %d", a, b, got, want)
		}
		fa.add(&fb, &tmp)
		if want := new(big.Rat).Add(ra, rb); fa.rat().Cmp(want) != 0 {
			t.Fatalf("%q + %q = %v, want %v", a, b, fa.rat(), want)
		}
	})
}

// FuzzParsePeriod checks the period of EvaluatePeriod's name: what it
// accepts is a real month that reads back as the text given, and what it
// refuses is INVALID_ARGUMENT.
func FuzzParsePeriod(f *testing.F) {
	for _, seed := range []string{"2025-03", "2025-12", "0001-01", "2025-13", "0000-01", "2025-3", "+025-03", "2025-+3", "2025/03"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			if apperr.KindOf(err) != apperr.InvalidArgument {
				t.Fatalf("ParsePeriod(%q) = %v, want INVALID_ARGUMENT", s, err)
			}
			return
		}
		if p.Year < 1 || p.Month < 1 || p.Month > 12 || p.String() != s {
			t.Fatalf("ParsePeriod(%q) = %+v, which reads back as %q", s, p, p)
		}
	})
}
