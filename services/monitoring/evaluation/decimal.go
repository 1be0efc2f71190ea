package evaluation

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// ValueText is the exact decimal text of a measurement value: the shortest
// decimal that reads back as the same float64, which is the decimal the
// client wrote (JSON `4.1` arrives as the double nearest 4.1 and is stored
// as "4.1", not as that double's binary expansion). Non-finite values have
// no decimal and are refused. spec: monitoring.md "Measurements":
// non-finite values are rejected.
func ValueText(v float64) (string, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "", fmt.Errorf("the value %v is not a finite number", v)
	}
	if v == 0 {
		return "0", nil // also for −0
	}
	return strconv.FormatFloat(v, 'f', -1, 64), nil
}

// ParseDecimal reads a plain decimal ("-12.5", "80", "4.25") as an exact
// rational. Fractions ("1/3") and exponents are refused: stored values and
// contract targets are plain decimals.
func ParseDecimal(s string) (*big.Rat, error) {
	if !isPlainDecimal(s) {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	return r, nil
}

func isPlainDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// DisplayPlaces is how many decimal places a period value shows when it
// does not terminate sooner (70 % shows as "70", 2 of 3 as "66.666667").
// Outcomes are decided on the exact value, never on the displayed one.
const DisplayPlaces = 6

// FormatDecimal writes r with at most places decimals, rounded half-even
// when it has more, without trailing zeros.
func FormatDecimal(r *big.Rat, places int) string {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	n := roundHalfEven(scaled)
	neg := n.Sign() < 0
	digits := new(big.Int).Abs(n).String()
	if len(digits) <= places {
		digits = strings.Repeat("0", places-len(digits)+1) + digits
	}
	intPart, frac := digits[:len(digits)-places], strings.TrimRight(digits[len(digits)-places:], "0")
	out := intPart
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}

// roundHalfEven rounds r to the nearest integer, ties to even.
func roundHalfEven(r *big.Rat) *big.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	twice := new(big.Int).Lsh(new(big.Int).Abs(m), 1)
	switch twice.Cmp(r.Denom()) {
	case 1:
		q.Add(q, big.NewInt(int64(r.Sign())))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(int64(r.Sign())))
		}
	}
	return q
}

// fixed is a decimal as unscaled × 10^−scale. Aggregation works on these
// rather than on big.Rat: adding and comparing scaled integers is exact
// too, and skips the gcd a Rat computes on every operation.
type fixed struct {
	unscaled big.Int
	scale    int
}

// set reads the plain decimal s (checked by isPlainDecimal) into f,
// reusing f's memory.
func (f *fixed) set(s string) bool {
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	f.scale = 0
	if i := strings.IndexByte(digits, '.'); i >= 0 {
		f.scale = len(digits) - i - 1
		if len(digits) <= 19 { // fits an int64 once the dot is gone
			var n int64
			for j := 0; j < len(digits); j++ {
				if c := digits[j]; c != '.' {
					n = n*10 + int64(c-'0')
				}
			}
			if neg {
				n = -n
			}
			f.unscaled.SetInt64(n)
			return true
		}
		digits = digits[:i] + digits[i+1:]
	} else if len(digits) <= 18 {
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return false
		}
		if neg {
			n = -n
		}
		f.unscaled.SetInt64(n)
		return true
	}
	if _, ok := f.unscaled.SetString(digits, 10); !ok {
		return false
	}
	if neg {
		f.unscaled.Neg(&f.unscaled)
	}
	return true
}

// rescale multiplies the unscaled value so that f has scale s ≥ f.scale.
func (f *fixed) rescale(s int, tmp *big.Int) {
	if s > f.scale {
		f.unscaled.Mul(&f.unscaled, tmp.Exp(big.NewInt(10), big.NewInt(int64(s-f.scale)), nil))
		f.scale = s
	}
}

// cmp compares f with g exactly; it may rescale either.
func (f *fixed) cmp(g *fixed, tmp *big.Int) int {
	s := max(f.scale, g.scale)
	f.rescale(s, tmp)
	g.rescale(s, tmp)
	return f.unscaled.Cmp(&g.unscaled)
}

// add adds g to f exactly; it may rescale either.
func (f *fixed) add(g *fixed, tmp *big.Int) {
	s := max(f.scale, g.scale)
	f.rescale(s, tmp)
	g.rescale(s, tmp)
	f.unscaled.Add(&f.unscaled, &g.unscaled)
}

// rat returns f as an exact rational.
func (f *fixed) rat() *big.Rat {
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(f.scale)), nil)
	return new(big.Rat).SetFrac(new(big.Int).Set(&f.unscaled), den)
}

// sub subtracts g from f exactly; it may rescale either.
func (f *fixed) sub(g *fixed, tmp *big.Int) {
	s := max(f.scale, g.scale)
	f.rescale(s, tmp)
	g.rescale(s, tmp)
	f.unscaled.Sub(&f.unscaled, &g.unscaled)
}

// String writes f as plain decimal text with exactly f.scale decimals, so
// that set reads back the same value at the same scale.
func (f *fixed) String() string {
	digits := new(big.Int).Abs(&f.unscaled).String()
	if f.scale > 0 {
		if len(digits) <= f.scale {
			digits = strings.Repeat("0", f.scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-f.scale] + "." + digits[len(digits)-f.scale:]
	}
	if f.unscaled.Sign() < 0 {
		return "-" + digits
	}
	return digits
}

// counted is a value measured n times.
type counted struct {
	fixed
	n int64
}
