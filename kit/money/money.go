// Package money is exact money: an integer number of a currency's minor
// units, with arithmetic that rounds half-even to the minor unit only where
// the caller says so. Never floating point. spec: README.md, "Cross-service
// rules".
package money

import (
	"fmt"
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

// Add returns a + b; the currencies must match.
func (a Amount) Add(b Amount) (Amount, error) {
	if err := a.same(b); err != nil {
		return Amount{}, err
	}
	return Amount{a.Currency, a.Minor + b.Minor}, nil
}

// Sub returns a − b; the currencies must match.
func (a Amount) Sub(b Amount) (Amount, error) {
	if err := a.same(b); err != nil {
		return Amount{}, err
	}
	return Amount{a.Currency, a.Minor - b.Minor}, nil
}

// Times returns a × n, exactly.
func (a Amount) Times(n int64) Amount { return Amount{a.Currency, a.Minor * n} }

// MulBps returns a × bps / 10 000, rounded half-even to the minor unit.
func (a Amount) MulBps(bps int64) Amount {
	return a.MulRat(big.NewRat(bps, 10000))
}

// MulRat returns a × r, rounded half-even to the minor unit.
func (a Amount) MulRat(r *big.Rat) Amount {
	x := new(big.Rat).Mul(new(big.Rat).SetInt64(a.Minor), r)
	return Amount{a.Currency, RoundHalfEven(x)}
}

// Min returns the smaller of a and b (same currency).
func Min(a, b Amount) Amount {
	if b.Minor < a.Minor {
		return b
	}
	return a
}

// RoundHalfEven rounds r to the nearest integer, ties to even (banker's
// rounding), as the spec requires for every money line.
func RoundHalfEven(r *big.Rat) int64 {
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
	return q.Int64()
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
	m := a.Minor
	if m < 0 {
		sign, m = "-", -m
	}
	s := fmt.Sprintf("%0*d", scale+1, m)
	if scale > 0 {
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	return strings.TrimSpace(a.Currency + " " + sign + s)
}
