package evaluation

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// Summary is what a set of stored measurements of one level adds up to,
// whatever the level's aggregation: how many there are, how many report an
// outage, the exact sums of their values and denominators, and how many
// there are of each value. Summaries are exact and add up: the summary of
// two sets is the Merge of theirs, and taking a subset away is Subtract.
// They are what monitoring keeps as measurements arrive (per level and
// day), so that a period holding millions of measurements is evaluated
// from a few hundred summaries instead of its rows. spec: monitoring.md
// "Scale"; issue 8 ("per-level aggregates maintained as measurements
// arrive … exact … never a sketch").
type Summary struct {
	N int64
	// Outages counts, of N, the measurements that report an outage (an
	// AVAILABILITY level's outages are read one by one: their intervals
	// matter, not their count).
	Outages int64
	// Sum is Σ value, Den is Σ denominator (1 for a measurement without
	// one), exactly.
	Sum, Den fixed
	// Values counts the measurements per value (its exact decimal text, as
	// stored): what PERCENT_WITHIN and PERCENTILE need. nil when it is not
	// kept (more than MaxValues distinct values).
	Values map[string]int64
}

// MaxValues bounds the distinct values a summary counts. A level whose
// values hardly repeat (more distinct values in a day than this) has no
// value counts kept: its PERCENT_WITHIN and PERCENTILE are evaluated from
// the rows, exactly and more slowly. Measured values repeat in practice:
// handle times in seconds, scores, counts.
const MaxValues = 100_000

// NewSummary returns an empty summary that counts values.
func NewSummary() *Summary {
	return &Summary{Values: map[string]int64{}}
}

// Add adds one measurement as stored: its value, its denominator ("" for
// none, which counts as 1) and whether it reports an outage. value is kept
// as a key (for a slice of a larger text, Tally copies it).
func (s *Summary) Add(value, den string, outage bool) error {
	if err := s.addSums(value, den, outage); err != nil {
		return err
	}
	if s.Values != nil {
		s.Values[value]++
		if len(s.Values) > MaxValues {
			s.Values = nil
		}
	}
	return nil
}

// addSums adds a measurement's count and sums, not its value count.
func (s *Summary) addSums(value, den string, outage bool) error {
	var v fixed
	if !isPlainDecimal(value) || !v.set(value) {
		return fmt.Errorf("stored value %q is not a decimal", value)
	}
	var tmp big.Int
	s.Sum.add(&v, &tmp)
	if den == "" {
		den = "1"
	}
	if !isPlainDecimal(den) || !v.set(den) {
		return fmt.Errorf("stored denominator %q is not a decimal", den)
	}
	s.Den.add(&v, &tmp)
	s.N++
	if outage {
		s.Outages++
	}
	return nil
}

// Tally builds a Summary measurement by measurement from values that are
// slices of a larger text (store reads a day's values as one text): it
// copies a value's text only the first time it sees it, so that the
// counts do not keep the whole text alive. (Counting into the summary's
// map directly would not do: assigning to a map entry stores the key
// given again.)
type Tally struct {
	s      Summary
	counts map[string]*int64
}

// NewTally returns an empty tally; values says whether to count values.
func NewTally(values bool) *Tally {
	t := &Tally{}
	if values {
		t.counts = map[string]*int64{}
	}
	return t
}

// Add adds one measurement, as Summary.Add does; the caller counts the
// outages among them (Summary.Outages).
func (t *Tally) Add(value, den string) error {
	if err := t.s.addSums(value, den, false); err != nil {
		return err
	}
	if t.counts == nil {
		return nil
	}
	if n, ok := t.counts[value]; ok {
		*n++
		return nil
	}
	one := int64(1)
	t.counts[strings.Clone(value)] = &one
	if len(t.counts) > MaxValues {
		t.counts = nil
	}
	return nil
}

// Summary returns what was tallied; its value counts are nil when they
// were not asked for or outgrew MaxValues.
func (t *Tally) Summary() *Summary {
	out := t.s
	if t.counts != nil {
		out.Values = make(map[string]int64, len(t.counts))
		for v, n := range t.counts {
			out.Values[v] = *n
		}
	}
	return &out
}

// Plus adds o's counts and sums to s, leaving s's value counts as they
// are: for a reader that adds the value counts itself (AddValuesText).
func (s *Summary) Plus(o *Summary) {
	var tmp big.Int
	s.N += o.N
	s.Outages += o.Outages
	s.Sum.add(&o.Sum, &tmp)
	s.Den.add(&o.Den, &tmp)
}

// Merge adds o to s. The values are counted only when both count them.
func (s *Summary) Merge(o *Summary) {
	s.Plus(o)
	if s.Values == nil || o.Values == nil {
		s.Values = nil
		return
	}
	for v, n := range o.Values {
		s.Values[v] += n
	}
	if len(s.Values) > MaxValues {
		s.Values = nil
	}
}

// Subtract takes o, a subset of what s summarises, away from s; when o
// cannot be a subset, it says so and leaves s as it was.
func (s *Summary) Subtract(o *Summary) error {
	if o.N > s.N || o.Outages > s.Outages {
		return fmt.Errorf("summary of %d measurements is not part of one of %d", o.N, s.N)
	}
	if s.Values != nil && o.Values != nil {
		for v, n := range o.Values {
			if s.Values[v] < n {
				return fmt.Errorf("value %s counted %d times, taken away %d times", v, s.Values[v], n)
			}
		}
	}
	var tmp big.Int
	s.N -= o.N
	s.Outages -= o.Outages
	s.Sum.sub(&o.Sum, &tmp)
	s.Den.sub(&o.Den, &tmp)
	if s.Values == nil {
		return nil
	}
	if o.Values == nil {
		s.Values = nil
		return nil
	}
	for v, n := range o.Values {
		if left := s.Values[v] - n; left == 0 {
			delete(s.Values, v)
		} else {
			s.Values[v] = left
		}
	}
	return nil
}

// SumText and DenText are the exact sums as decimal text, at the scale of
// the values summed ("12.50" stays "12.50"): what is stored.
func (s *Summary) SumText() string { return s.Sum.String() }

// DenText is Σ denominator as decimal text.
func (s *Summary) DenText() string { return s.Den.String() }

// SetSums reads stored sums back.
func (s *Summary) SetSums(sum, den string) error {
	if !isPlainDecimal(sum) || !s.Sum.set(sum) {
		return fmt.Errorf("stored sum %q is not a decimal", sum)
	}
	if !isPlainDecimal(den) || !s.Den.set(den) {
		return fmt.Errorf("stored denominator sum %q is not a decimal", den)
	}
	return nil
}

// ValuesText writes the value counts as text, in the order of the values'
// text: "12*3 12.5 7*2" is three 12s, one 12.5 and two 7s. Text rather than
// bytes so that the one column holding it is the same on both databases.
func (s *Summary) ValuesText() string {
	keys := make([]string, 0, len(s.Values))
	for v := range s.Values {
		keys = append(keys, v)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, v := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(v)
		if n := s.Values[v]; n != 1 {
			b.WriteByte('*')
			b.WriteString(strconv.FormatInt(n, 10))
		}
	}
	return b.String()
}

// AddValuesText adds the value counts written by ValuesText to s's.
func (s *Summary) AddValuesText(text string) error {
	for len(text) > 0 {
		entry := text
		if i := strings.IndexByte(text, ' '); i >= 0 {
			entry, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		n := int64(1)
		if i := strings.IndexByte(entry, '*'); i >= 0 {
			var err error
			if n, err = strconv.ParseInt(entry[i+1:], 10, 64); err != nil || n < 1 {
				return fmt.Errorf("stored value count %q is not a count", entry)
			}
			entry = entry[:i]
		}
		if !isPlainDecimal(entry) {
			return fmt.Errorf("stored value %q is not a decimal", entry)
		}
		s.Values[entry] += n
	}
	return nil
}
