// Package money is exact money: an integer number of a currency's minor
// units, with arithmetic that rounds half-even to the minor unit only where
// the caller says so. Never floating point. spec: README.md, "Cross-service
// rules".
package money

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"golang.org/x/text/currency"
)

// Amount is an exact amount of money.
type Amount struct {
	Currency string // ISO 4217
	Minor    int64  // minor units (cents)
}

// New returns minor units of currency.
func New(currency string, minor int64) Amount { return Amount{Currency: currency, Minor: minor} }

// FromProto converts an API Money; nil is the zero amount without currency.
func FromProto(m *typev1.Money) Amount {
	return Amount{Currency: m.GetCurrencyCode(), Minor: m.GetMinorUnits()}
}

// Proto converts to the API Money.
func (a Amount) Proto() *typev1.Money {
	return &typev1.Money{CurrencyCode: a.Currency, MinorUnits: a.Minor}
}

func (a Amount) same(b Amount) error {
	if a.Currency != b.Currency {
		return fmt.Errorf("cannot combine %s and %s amounts", a.Currency, b.Currency)
	}
	return nil
}

// ErrOverflow is the error of a result that an int64 of minor units cannot
// hold: a wrapped-round amount would be a wrong price or credit that looks
// right, so there is no result at all instead.
var ErrOverflow = errors.New("the amount is beyond ±9,223,372,036,854,775,807 minor units")

func overflow(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrOverflow)
}

// Add returns a + b; the currencies must match.
func (a Amount) Add(b Amount) (Amount, error) {
	if err := a.same(b); err != nil {
		return Amount{}, err
	}
	s := a.Minor + b.Minor
	if (s > a.Minor) != (b.Minor > 0) {
		return Amount{}, overflow("%s + %s", a, b)
	}
	return Amount{a.Currency, s}, nil
}

// Sub returns a − b; the currencies must match.
func (a Amount) Sub(b Amount) (Amount, error) {
	if err := a.same(b); err != nil {
		return Amount{}, err
	}
	d := a.Minor - b.Minor
	if (d < a.Minor) != (b.Minor > 0) {
		return Amount{}, overflow("%s − %s", a, b)
	}
	return Amount{a.Currency, d}, nil
}

// Times returns a × n, exactly.
func (a Amount) Times(n int64) (Amount, error) {
	if a.Minor == 0 || n == 0 {
		return Amount{a.Currency, 0}, nil
	}
	p := a.Minor * n
	// p/n == a catches every wrap but MinInt64 × −1, whose quotient wraps
	// back to MinInt64 as well.
	if p/n != a.Minor || (n == -1 && a.Minor == math.MinInt64) {
		return Amount{}, overflow("%s × %d", a, n)
	}
	return Amount{a.Currency, p}, nil
}

// MulBps returns a × bps / 10 000, rounded half-even to the minor unit.
func (a Amount) MulBps(bps int64) (Amount, error) {
	return a.MulRat(big.NewRat(bps, 10000))
}

// MulRat returns a × r, rounded half-even to the minor unit.
func (a Amount) MulRat(r *big.Rat) (Amount, error) {
	x := new(big.Rat).Mul(new(big.Rat).SetInt64(a.Minor), r)
	m, err := RoundHalfEven(x)
	if err != nil {
		return Amount{}, overflow("%s × %s", a, r.RatString())
	}
	return Amount{a.Currency, m}, nil
}

// Min returns the smaller of a and b (same currency).
func Min(a, b Amount) Amount {
	if b.Minor < a.Minor {
		return b
	}
	return a
}

// RoundHalfEven rounds r to the nearest integer, ties to even (banker's
// rounding), as the spec requires for every money line. A result beyond
// int64 is ErrOverflow.
func RoundHalfEven(r *big.Rat) (int64, error) {
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int)) // truncates toward zero
	// Compare 2|m| with den to decide.
	twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
	switch twice.Cmp(den) {
	case 1:
		q.Add(q, big.NewInt(int64(r.Sign())))
	case 0:
		if q.Bit(0) == 1 { // odd: move away to the even neighbour
			q.Add(q, big.NewInt(int64(r.Sign())))
		}
	}
	if !q.IsInt64() {
		return 0, overflow("%s rounds to %s", r.RatString(), q)
	}
	return q.Int64(), nil
}

// Scale is the number of minor-unit digits of currency (2 for USD, 0 for JPY).
func Scale(code string) int {
	u, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale
}

// String formats the amount as "USD 12345.67".
func (a Amount) String() string {
	scale := Scale(a.Currency)
	sign := ""
	// uint64, because −MinInt64 has no int64.
	m := uint64(a.Minor)
	if a.Minor < 0 {
		sign, m = "-", -m
	}
	s := fmt.Sprintf("%0*d", scale+1, m)
	if scale > 0 {
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	return strings.TrimSpace(a.Currency + " " + sign + s)
}

// Format is m as String spells it ("USD 12345.67"), or "" for an amount
// that is not set (no currency): for showing an API Money that may be absent.
func Format(m *typev1.Money) string {
	if m.GetCurrencyCode() == "" {
		return ""
	}
	return FromProto(m).String()
}
