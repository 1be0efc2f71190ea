package money

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"testing"
)

func TestRoundHalfEven(t *testing.T) {
	tests := []struct {
		name     string
		num, den int64
		want     int64
	}{
		{"exact", 10, 1, 10},
		{"below half rounds down", 1049, 100, 10}, // 10.49
		{"above half rounds up", 1051, 100, 11},   // 10.51
		{"half to even down", 25, 10, 2},          // 2.5 → 2
		{"half to even up", 35, 10, 4},            // 3.5 → 4
		{"negative half to even", -25, 10, -2},    // −2.5 → −2
		{"negative above half", -26, 10, -3},      // −2.6 → −3
		{"third", 1, 3, 0},                        // 0.333…
		{"two thirds", 2, 3, 1},                   // 0.666…
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := RoundHalfEven(big.NewRat(tt.num, tt.den)); err != nil || got != tt.want {
				t.Errorf("RoundHalfEven(%d/%d) = %d, %v; want %d", tt.num, tt.den, got, err, tt.want)
			}
		})
	}
}

func TestMulBpsRoundsHalfEvenToTheMinorUnit(t *testing.T) {
	for _, tt := range []struct {
		name      string
		minor     int64
		bps       int64
		wantMinor int64
	}{
		{"USD 50,000.00 × 12 % = USD 6,000.00", 5_000_000, 1200, 600_000},
		{"USD 10.25 × 50 % = 5.125 → 5.12 (tie, 2 is even)", 1025, 5000, 512},
		{"USD 10.35 × 50 % = 5.175 → 5.18 (tie, 8 is even)", 1035, 5000, 518},
	} {
		got, err := New("USD", tt.minor).MulBps(tt.bps)
		if err != nil || got != New("USD", tt.wantMinor) {
			t.Errorf("%s: got %v, %v", tt.name, got, err)
		}
	}
}

func TestAddRefusesMixedCurrencies(t *testing.T) {
	if _, err := New("USD", 1).Add(New("EUR", 1)); err == nil {
		t.Fatal("USD + EUR succeeded")
	}
}

func TestString(t *testing.T) {
	for _, tt := range []struct {
		a    Amount
		want string
	}{
		{New("USD", 1234567), "USD 12345.67"},
		{New("USD", 5), "USD 0.05"},
		{New("USD", -150), "USD -1.50"},
		{New("JPY", 1500), "JPY 1500"},
	} {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestFormatShowsAnUnsetAmountAsNothing(t *testing.T) {
	if got := Format(nil); got != "" {
		t.Errorf("Format(nil) = %q, want empty", got)
	}
	if got := Format(New("USD", 0).Proto()); got != "USD 0.00" {
		t.Errorf("Format(USD 0) = %q, want USD 0.00: zero is an amount", got)
	}
	if got := Format(New("JPY", 1500).Proto()); got != "JPY 1500" {
		t.Errorf("Format(JPY 1500) = %q", got)
	}
}

const (
	maxMinor = math.MaxInt64 // USD 92,233,720,368,547,758.07
	minMinor = math.MinInt64 // USD −92,233,720,368,547,758.08
)

// usd is the amount of an arithmetic that must succeed; an empty want
// currency in the tables below means the operation must overflow.
func usd(minor int64) Amount { return New("USD", minor) }

func wantAmount(t *testing.T, op string, got Amount, err error, want Amount) {
	t.Helper()
	if want.Currency == "" {
		if !errors.Is(err, ErrOverflow) {
			t.Errorf("%s = %v, %v; want ErrOverflow", op, got, err)
		} else if got != (Amount{}) {
			t.Errorf("%s overflowed but returned the amount %v too", op, got)
		}
		return
	}
	if err != nil || got != want {
		t.Errorf("%s = %v, %v; want %v", op, got, err, want)
	}
}

func TestAddAndSubAtTheEdgesOfInt64AreExactOrOverflow(t *testing.T) {
	overflows := Amount{}
	for _, tt := range []struct {
		name string
		got  func() (Amount, error)
		want Amount
	}{
		{"max + 0", func() (Amount, error) { return usd(maxMinor).Add(usd(0)) }, usd(maxMinor)},
		{"max + 1", func() (Amount, error) { return usd(maxMinor).Add(usd(1)) }, overflows},
		{"max + max", func() (Amount, error) { return usd(maxMinor).Add(usd(maxMinor)) }, overflows},
		{"min + −1", func() (Amount, error) { return usd(minMinor).Add(usd(-1)) }, overflows},
		{"min + min", func() (Amount, error) { return usd(minMinor).Add(usd(minMinor)) }, overflows},
		{"max + min = −1", func() (Amount, error) { return usd(maxMinor).Add(usd(minMinor)) }, usd(-1)},
		{"(max − 1) + 1 = max", func() (Amount, error) { return usd(maxMinor - 1).Add(usd(1)) }, usd(maxMinor)},
		{"min − 1", func() (Amount, error) { return usd(minMinor).Sub(usd(1)) }, overflows},
		{"max − (−1)", func() (Amount, error) { return usd(maxMinor).Sub(usd(-1)) }, overflows},
		{"0 − min, since −min is max + 1", func() (Amount, error) { return usd(0).Sub(usd(minMinor)) }, overflows},
		{"−1 − min = max", func() (Amount, error) { return usd(-1).Sub(usd(minMinor)) }, usd(maxMinor)},
		{"min − 0", func() (Amount, error) { return usd(minMinor).Sub(usd(0)) }, usd(minMinor)},
		{"min − min = 0", func() (Amount, error) { return usd(minMinor).Sub(usd(minMinor)) }, usd(0)},
	} {
		got, err := tt.got()
		wantAmount(t, tt.name, got, err, tt.want)
	}
}

func TestTimesAtTheEdgesOfInt64IsExactOrOverflows(t *testing.T) {
	const half = 1 << 62 // 4,611,686,018,427,387,904: twice it is max + 1
	overflows := Amount{}
	for _, tt := range []struct {
		minor, n int64
		want     Amount
	}{
		{maxMinor, 1, usd(maxMinor)},
		{maxMinor, -1, usd(-maxMinor)},
		{maxMinor, 2, overflows},
		{half, 2, overflows},
		{-half, 2, usd(minMinor)},
		{half - 1, 2, usd(maxMinor - 1)},
		{minMinor, 1, usd(minMinor)},
		{minMinor, -1, overflows}, // the one wrap whose quotient checks out
		{-1, minMinor, overflows},
		{1, minMinor, usd(minMinor)},
		{minMinor, 0, usd(0)},
		{0, minMinor, usd(0)},
		{3_037_000_500, 3_037_000_500, overflows}, // 9,223,372,037,000,250,000
		{3_037_000_499, 3_037_000_499, usd(9_223_372_030_926_249_001)},
		// A proposal's largest fee (USD 1 trillion) over the longest term
		// (120 months) is far inside.
		{100_000_000_000_000, 120, usd(12_000_000_000_000_000)},
	} {
		got, err := usd(tt.minor).Times(tt.n)
		wantAmount(t, fmt.Sprintf("%d × %d", tt.minor, tt.n), got, err, tt.want)
	}
}

func TestMulBpsAndMulRatAtTheEdgesOfInt64RoundOrOverflow(t *testing.T) {
	overflows := Amount{}
	for _, tt := range []struct {
		minor, bps int64
		want       Amount
	}{
		{maxMinor, 10_000, usd(maxMinor)},
		{maxMinor, 10_001, overflows},
		{maxMinor, 20_000, overflows},
		// max / 2 = 4,611,686,018,427,387,903.5, a tie: the even neighbour.
		{maxMinor, 5_000, usd(4_611_686_018_427_387_904)},
		{minMinor, 10_000, usd(minMinor)},
		{minMinor, -10_000, overflows},
		{minMinor, 5_000, usd(minMinor / 2)},
		{maxMinor, -10_000, usd(-maxMinor)},
	} {
		got, err := usd(tt.minor).MulBps(tt.bps)
		wantAmount(t, fmt.Sprintf("%d × %d bps", tt.minor, tt.bps), got, err, tt.want)
	}
	got, err := usd(maxMinor).MulRat(big.NewRat(3, 2))
	wantAmount(t, "max × 3/2", got, err, overflows)
	got, err = usd(maxMinor).MulRat(big.NewRat(2, 3)) // 6,148,914,691,236,517,204.67
	wantAmount(t, "max × 2/3", got, err, usd(6_148_914_691_236_517_205))
}

func TestRoundHalfEvenBeyondInt64Overflows(t *testing.T) {
	for _, tt := range []struct {
		rat  string
		want int64
		ok   bool
	}{
		{"9223372036854775807/1", maxMinor, true},
		{"9223372036854775808/1", 0, false},
		// max + 0.4 rounds down to max; max + 0.5 is a tie whose even
		// neighbour is max + 1.
		{"46116860184273879037/5", maxMinor, true},
		{"18446744073709551615/2", 0, false},
		// min − 0.5 is a tie whose even neighbour is min itself.
		{"-18446744073709551617/2", minMinor, true},
		{"-18446744073709551619/2", 0, false},
		{"-9223372036854775809/1", 0, false},
	} {
		r, ok := new(big.Rat).SetString(tt.rat)
		if !ok {
			t.Fatalf("bad rational %s", tt.rat)
		}
		got, err := RoundHalfEven(r)
		switch {
		case tt.ok && (err != nil || got != tt.want):
			t.Errorf("RoundHalfEven(%s) = %d, %v; want %d", tt.rat, got, err, tt.want)
		case !tt.ok && !errors.Is(err, ErrOverflow):
			t.Errorf("RoundHalfEven(%s) = %d, %v; want ErrOverflow", tt.rat, got, err)
		}
	}
}

func TestOverflowSaysWhichOperationOverflowed(t *testing.T) {
	_, err := usd(maxMinor).Add(usd(1))
	want := "USD 92233720368547758.07 + USD 0.01: the amount is beyond ±9,223,372,036,854,775,807 minor units"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestStringOfTheInt64Edges(t *testing.T) {
	if got := usd(minMinor).String(); got != "USD -92233720368547758.08" {
		t.Errorf("min = %q, want USD -92233720368547758.08", got)
	}
	if got := usd(maxMinor).String(); got != "USD 92233720368547758.07" {
		t.Errorf("max = %q, want USD 92233720368547758.07", got)
	}
	if got := New("JPY", minMinor).String(); got != "JPY -9223372036854775808" {
		t.Errorf("JPY min = %q", got)
	}
}
