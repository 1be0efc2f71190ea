package money

import (
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
			if got := RoundHalfEven(big.NewRat(tt.num, tt.den)); got != tt.want {
				t.Errorf("RoundHalfEven(%d/%d) = %d, want %d", tt.num, tt.den, got, tt.want)
			}
		})
	}
}

func TestMulBps(t *testing.T) {
	// USD 50,000.00 × 12 % = USD 6,000.00.
	if got := New("USD", 5_000_000).MulBps(1200); got.Minor != 600_000 {
		t.Errorf("50000.00 × 12%% = %v, want 6000.00", got)
	}
	// USD 10.25 × 50 % = 5.125 → 5.12 (tie, 2 is even).
	if got := New("USD", 1025).MulBps(5000); got.Minor != 512 {
		t.Errorf("10.25 × 50%% = %d cents, want 512", got.Minor)
	}
	// USD 10.35 × 50 % = 5.175 → 5.18 (tie, 8 is even).
	if got := New("USD", 1035).MulBps(5000); got.Minor != 518 {
		t.Errorf("10.35 × 50%% = %d cents, want 518", got.Minor)
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
