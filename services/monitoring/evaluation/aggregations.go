package evaluation

import (
	"fmt"
	"math/big"
	"slices"
	"time"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
)

// value computes the exact period value of what was added (at least one
// measurement), how it was computed in words, and its unit. spec:
// monitoring.md "Metric definitions", one case per aggregation.
func (a *Aggregate) value() (v *big.Rat, how, unit string) {
	unit = a.level.GetMetric().GetUnit()
	switch a.agg {
	case typev1.Aggregation_AGGREGATION_PERCENT_WITHIN:
		// within × 100 / n, exactly.
		v = new(big.Rat).SetFrac64(a.within*100, a.n)
		how = fmt.Sprintf("%d of %d measurements %s %s%s = %s %%", a.within, a.n,
			comparatorWords(a.thresholdComparator()), a.level.GetMetric().GetThreshold(), withSpace(unit), FormatDecimal(v, DisplayPlaces))
		return v, how, "%"
	case typev1.Aggregation_AGGREGATION_PERCENTILE:
		return a.nearestRank(unit)
	case typev1.Aggregation_AGGREGATION_SUM:
		v = a.sum.rat()
		return v, fmt.Sprintf("sum of %d measurements = %s%s", a.n, FormatDecimal(v, a.sum.scale), withSpace(unit)), unit
	case typev1.Aggregation_AGGREGATION_COUNT:
		v = new(big.Rat).SetInt64(a.n)
		return v, fmt.Sprintf("count of measurements = %d", a.n), ""
	case typev1.Aggregation_AGGREGATION_RATIO:
		// Σ numerator × 100 / Σ denominator, exactly; Σ denominator > 0
		// since every stored denominator is (see Intake.Check).
		num, den := a.sum.rat(), a.den.rat()
		v = new(big.Rat).Quo(new(big.Rat).Mul(num, big.NewRat(100, 1)), den)
		how = fmt.Sprintf("Σ numerator %s ÷ Σ denominator %s over %d measurements = %s %%",
			FormatDecimal(num, a.sum.scale), FormatDecimal(den, a.den.scale), a.n, FormatDecimal(v, DisplayPlaces))
		return v, how, "%"
	case typev1.Aggregation_AGGREGATION_AVAILABILITY:
		return a.availability()
	}
	// MEAN.
	sum := a.sum.rat()
	v = new(big.Rat).Quo(sum, new(big.Rat).SetInt64(a.n))
	how = fmt.Sprintf("mean of %d measurements = %s / %d = %s%s", a.n,
		FormatDecimal(sum, a.sum.scale), a.n, FormatDecimal(v, DisplayPlaces), withSpace(unit))
	return v, how, unit
}

// nearestRank is the p-th percentile by nearest rank: the value at rank
// ⌈p × n / 100⌉ (1-based) of the values sorted in ascending order. It is
// always one of the measured values, never an interpolation.
func (a *Aggregate) nearestRank(unit string) (*big.Rat, string, string) {
	// Bring every value to one scale, then order by the scaled integers.
	values := make([]counted, 0, len(a.counts))
	for text, n := range a.counts {
		values = append(values, counted{n: *n})
		if !values[len(values)-1].set(text) { // checked when counted
			panic("evaluation: a counted value is not a decimal: " + text)
		}
	}
	scale := 0
	for i := range values {
		scale = max(scale, values[i].scale)
	}
	for i := range values {
		values[i].rescale(scale, &a.tmp)
	}
	slices.SortFunc(values, func(x, y counted) int { return x.unscaled.Cmp(&y.unscaled) })
	n := a.n
	rank := (a.percentile*n + 99) / 100 // ⌈p × n / 100⌉ in integers; ≥ 1 as p ≥ 1 and n ≥ 1
	// The value at that rank: the first whose running count reaches it.
	i, seen := 0, values[0].n
	for seen < rank {
		i++
		seen += values[i].n
	}
	v := values[i].rat()
	how := fmt.Sprintf("%s percentile (nearest rank) of %d measurements: rank ⌈%d × %d / 100⌉ = %d of the sorted values = %s%s",
		ordinal(a.percentile), n, a.percentile, n, rank, FormatDecimal(v, scale), withSpace(unit))
	return v, how, unit
}

// availability is (service time − outage time in service time) ÷ service
// time, in %. Overlapping outages are merged first so that no minute
// counts twice. Service time is the window, or the contract's service
// hours in it less approved exclusions (SetService). spec: monitoring.md
// "Metric definitions" (outage minutes in service hours).
func (a *Aggregate) availability() (*big.Rat, string, string) {
	merged := mergeIntervals(a.outages)
	service := a.service
	words := "the whole period is service time"
	if service == nil {
		service = []Interval{{Start: a.window.Start, End: a.window.End}}
	} else {
		words = a.serviceWords
	}
	period := Length(service)
	down := Overlap(merged, service)
	// Nanoseconds give the same fraction as minutes, without rounding an
	// outage that does not start or end on a whole minute.
	v := new(big.Rat).SetFrac(
		new(big.Int).Mul(big.NewInt(int64(period-down)), big.NewInt(100)),
		big.NewInt(int64(period)))
	how := fmt.Sprintf("service time %s minutes (%s), outages in it %s minutes (%d outages within the period, %d after merging overlaps; %d measurements) → (%s − %s) / %s = %s %%",
		minutes(period), words, minutes(down), len(a.outages), len(merged), a.n,
		minutes(period), minutes(down), minutes(period), FormatDecimal(v, DisplayPlaces))
	return v, how, "%"
}

// mergeIntervals returns the union of in as disjoint intervals in order:
// [1:00, 2:00) and [1:30, 3:00) become [1:00, 3:00); touching intervals
// join too.
func mergeIntervals(in []Interval) []Interval {
	s := slices.Clone(in)
	slices.SortFunc(s, func(x, y Interval) int { return x.Start.Compare(y.Start) })
	var out []Interval
	for _, iv := range s {
		if last := len(out) - 1; last >= 0 && !iv.Start.After(out[last].End) {
			if iv.End.After(out[last].End) {
				out[last].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// minutes writes d in minutes, exactly when it terminates within 6 places.
func minutes(d time.Duration) string {
	return FormatDecimal(new(big.Rat).SetFrac64(int64(d), int64(time.Minute)), DisplayPlaces)
}

func ordinal(n int64) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
