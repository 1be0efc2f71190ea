package walk

import (
	"fmt"
	"sort"
	"strings"

	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/genproto/googleapis/type/date"
)

// How the walk's lines and the lifecycle are spelled for people.

// FormatLifecycle renders a lifecycle view for people: the stage, then
// each step with its state, its facts and what blocks it.
func FormatLifecycle(lc *lifecyclev1.EngagementLifecycle) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q: stage %s\n", lc.GetEngagement(), lc.GetDisplayName(), protoenum.Short(lc.GetStage()))
	for _, s := range lc.GetSteps() {
		mark := " "
		if s.GetDone() {
			mark = "✓"
		}
		fmt.Fprintf(&b, "  %s %-10s %s\n", mark, s.GetStep(), s.GetState())
		keys := make([]string, 0, len(s.GetFacts()))
		for k := range s.GetFacts() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "      %-26s %s\n", k, s.GetFacts()[k])
		}
		if s.GetBlocker() != "" {
			fmt.Fprintf(&b, "      blocked: %s\n", s.GetBlocker())
		}
	}
	return b.String()
}

// day is d as 2027-01-11, or "-" when it is not set.
func day(d *date.Date) string { return orDash(civil.Format(d)) }

func bps(v int32) string {
	if v%100 == 0 {
		return fmt.Sprintf("%d %%", v/100)
	}
	return fmt.Sprintf("%d.%02d %%", v/100, v%100)
}

func overlap(h float64) string { return fmt.Sprintf("%.1f h overlap", h) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func comparator(c typev1.Comparator) string {
	switch c {
	case typev1.Comparator_COMPARATOR_AT_LEAST:
		return "at least"
	case typev1.Comparator_COMPARATOR_AT_MOST:
		return "at most"
	}
	return "target"
}

func describeLevel(l *typev1.ServiceLevel) string {
	return fmt.Sprintf("%s %s %s %s (%s)", l.GetKey(), comparator(l.GetComparator()), l.GetTarget(),
		strings.ToLower(protoenum.Short(l.GetMetric().GetAggregation())), protoenum.Short(l.GetKind()))
}
