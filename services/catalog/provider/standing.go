package provider

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
)

// KeptPerContract is how many period scores a provider keeps per contract,
// and StandingWindow how many of the newest scores (all contracts
// together) the standing averages. spec: catalog.md §3 "Provider":
// "from the average of the last 12 period scores".
const (
	KeptPerContract = 12
	StandingWindow  = 12
)

// periodPattern is the spelling of a monitoring period: monthly
// `2026-10`, weekly `2026-W41`, quarterly `2026-Q3` (monitoring.md).
var contractPattern = regexp.MustCompile(`^contracts/[0-9A-Za-z-]{1,64}$`)

var periodPattern = regexp.MustCompile(`^[0-9]{4}-([0-9]{2}|W[0-9]{2}|Q[1-4])$`)

// CheckScore checks one reported period score; paths start with prefix
// ("score"). Every problem is one violation.
func CheckScore(s *catalogv1.PeriodScore, prefix string) error {
	var v apperr.Violations
	if !contractPattern.MatchString(s.GetContract()) {
		v.Add(prefix+".contract", "is required: the contract (contracts/{contract}) the period was measured under")
	}
	if !periodPattern.MatchString(s.GetPeriod()) {
		v.Add(prefix+".period", "%q is not a period like 2026-10, 2026-W41 or 2026-Q3", s.GetPeriod())
	}
	if s.GetScore() < 0 || s.GetScore() > 100 {
		v.Add(prefix+".score", "%d is outside 0–100", s.GetScore())
	}
	if d := s.GetPeriodEnd(); d == nil || !validDate(d) {
		v.Add(prefix+".period_end", "is required: the period's last day, a real date")
	}
	return v.Err()
}

func validDate(d *date.Date) bool {
	if d.GetYear() < 1 || d.GetMonth() < 1 || d.GetMonth() > 12 || d.GetDay() < 1 {
		return false
	}
	t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	return t.Day() == int(d.GetDay())
}

func dateKey(d *date.Date) int32 { return d.GetYear()*10000 + d.GetMonth()*100 + d.GetDay() }

// newestFirst orders scores by period end, newest first; ties by period
// (later first), then contract, so that the order is stable.
func newestFirst(a, b *catalogv1.PeriodScore) int {
	if c := cmp.Compare(dateKey(b.GetPeriodEnd()), dateKey(a.GetPeriodEnd())); c != 0 {
		return c
	}
	if c := cmp.Compare(b.GetPeriod(), a.GetPeriod()); c != 0 {
		return c
	}
	return cmp.Compare(a.GetContract(), b.GetContract())
}

// Same reports whether two scores are the same report (contract, period,
// score and period end; the report time aside): a repeated report changes
// nothing.
func Same(a, b *catalogv1.PeriodScore) bool {
	return a.GetContract() == b.GetContract() && a.GetPeriod() == b.GetPeriod() &&
		a.GetScore() == b.GetScore() && dateKey(a.GetPeriodEnd()) == dateKey(b.GetPeriodEnd())
}

// RecordScore returns performance with s recorded: a score of the same
// contract and period (a restated period) is replaced; the result is
// newest first and keeps at most KeptPerContract scores per contract (the
// oldest of a contract drop out). changed is false when s was already
// recorded as it is.
func RecordScore(performance []*catalogv1.PeriodScore, s *catalogv1.PeriodScore) (out []*catalogv1.PeriodScore, changed bool) {
	for _, p := range performance {
		if p.GetContract() == s.GetContract() && p.GetPeriod() == s.GetPeriod() {
			if Same(p, s) {
				return performance, false
			}
			continue
		}
		out = append(out, p)
	}
	out = append(out, proto.CloneOf(s))
	slices.SortStableFunc(out, newestFirst)
	perContract := map[string]int{}
	kept := out[:0]
	for _, p := range out {
		perContract[p.GetContract()]++
		if perContract[p.GetContract()] <= KeptPerContract {
			kept = append(kept, p)
		}
	}
	return kept, true
}

// Standing is the standing from the average of the newest StandingWindow
// scores of performance (newest first): EXCELLENT ≥ 80, AVERAGE ≥ 50,
// POOR ≥ 30, else VERY_POOR; UNSPECIFIED with no score. The average is
// compared exactly (sum ≥ threshold × n), never rounded first.
// spec: catalog.md §3 "Provider", standing.
func Standing(performance []*catalogv1.PeriodScore) catalogv1.Standing {
	sorted := slices.SortedStableFunc(slices.Values(performance), newestFirst)
	n := min(len(sorted), StandingWindow)
	if n == 0 {
		return catalogv1.Standing_STANDING_UNSPECIFIED
	}
	var sum int64
	for _, p := range sorted[:n] {
		sum += int64(p.GetScore())
	}
	switch {
	case sum >= 80*int64(n):
		return catalogv1.Standing_STANDING_EXCELLENT
	case sum >= 50*int64(n):
		return catalogv1.Standing_STANDING_AVERAGE
	case sum >= 30*int64(n):
		return catalogv1.Standing_STANDING_POOR
	}
	return catalogv1.Standing_STANDING_VERY_POOR
}

// Average is the average of the newest StandingWindow scores, to two
// decimals, for messages ("" with none).
func Average(performance []*catalogv1.PeriodScore) string {
	sorted := slices.SortedStableFunc(slices.Values(performance), newestFirst)
	n := min(len(sorted), StandingWindow)
	if n == 0 {
		return ""
	}
	var sum int64
	for _, p := range sorted[:n] {
		sum += int64(p.GetScore())
	}
	// Half-even to hundredths: sum×100/n with the remainder compared.
	q, r := sum*100/int64(n), sum*100%int64(n)
	if 2*r > int64(n) || (2*r == int64(n) && q%2 == 1) {
		q++
	}
	return fmt.Sprintf("%d.%02d over %d period(s)", q/100, q%100, n)
}
