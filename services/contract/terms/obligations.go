package terms

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"google.golang.org/genproto/googleapis/type/date"
)

// ReviewEveryMonths is how often performance reviews are held: quarterly
// by default (spec: monitoring.md, "Performance review … quarterly by
// default").
const ReviewEveryMonths = 3

// Certificate is a certification of the provider with its expiry, as
// catalog holds it.
type Certificate struct {
	Type       string // ISO_27001, …
	ValidUntil *date.Date
	Required   bool // the contract requires it
}

// Obligations derives the dated obligations of the signed contract c over
// its whole term, ordered by due date then kind:
//
//   - REPORT_DUE for every reporting period (calendar month, ISO week or
//     quarter by `reporting.frequency`, monthly by default) from the
//     service commencement (the start date before it) to the end of the
//     term: due on the period's last day plus `reporting.due_days` (as
//     monitoring reads it: the period may be closed from the day after;
//     a last period cut short by the end of the term ends with the term);
//   - RENEWAL_NOTICE_DEADLINE: the end of the term − renewal notice days,
//     when the contract has a notice period;
//   - CERTIFICATION_EXPIRY: each of the provider's certifications whose
//     validity ends within the term;
//   - PERFORMANCE_REVIEW: every three months from the service
//     commencement (the start date before it), within the term.
//
// spec: contract.md, "Obligations".
func Obligations(c *contractv1.Contract, certs []Certificate) []*contractv1.Obligation {
	start, ok := civil(c.GetStartDate())
	end, ok2 := civil(termEnd(c))
	if !ok || !ok2 || end.Before(start) {
		return nil
	}
	from := start
	if d, ok := civil(c.GetServiceCommencementDate()); ok {
		from = d
	}
	var out []*contractv1.Obligation

	rep := c.GetReporting()
	reports := rep.GetRequiredReports()
	what := "the period's service-level report"
	if len(reports) > 0 {
		what = strings.Join(reports, ", ")
	}
	for p := range periods(rep.GetFrequency(), from, end) {
		due := p.last.AddDate(0, 0, int(rep.GetDueDays()))
		out = append(out, &contractv1.Obligation{
			Kind: contractv1.ObligationKind_OBLIGATION_KIND_REPORT_DUE, DueDate: toDate(due), Period: p.label, Reports: slices.Clone(reports), Party: "provider",
			Description: fmt.Sprintf("the provider's reports for %s (%s to %s) are due: %s", p.label, p.first.Format(time.DateOnly), p.last.Format(time.DateOnly), what),
		})
	}
	if n := c.GetRenewalNoticeDays(); n > 0 {
		due := end.AddDate(0, 0, -int(n))
		what := "the term ends without renewal"
		if m := c.GetAutoRenewalMonths(); m > 0 {
			what = fmt.Sprintf("the term renews by %d months unless notice is given (an amendment setting auto-renewal to 0)", m)
		}
		out = append(out, &contractv1.Obligation{
			Kind: contractv1.ObligationKind_OBLIGATION_KIND_RENEWAL_NOTICE_DEADLINE, DueDate: toDate(due), Party: "both",
			Description: fmt.Sprintf("last day to give notice, %d days before the term ends on %s: %s", n, end.Format(time.DateOnly), what),
		})
	}
	for _, cert := range certs {
		until, ok := civil(cert.ValidUntil)
		if !ok || until.Before(start) || until.After(end) {
			continue
		}
		req := ""
		if cert.Required {
			req = ", which the contract requires,"
		}
		out = append(out, &contractv1.Obligation{
			Kind: contractv1.ObligationKind_OBLIGATION_KIND_CERTIFICATION_EXPIRY, DueDate: toDate(until), Certification: cert.Type, Party: "provider",
			Description: fmt.Sprintf("the provider's %s certification%s expires; it renews it or shows another", cert.Type, req),
		})
	}
	for k := 1; ; k++ {
		due := AddMonths(from, k*ReviewEveryMonths)
		if due.After(end) {
			break
		}
		out = append(out, &contractv1.Obligation{
			Kind: contractv1.ObligationKind_OBLIGATION_KIND_PERFORMANCE_REVIEW, DueDate: toDate(due), Party: "both",
			Description: fmt.Sprintf("quarterly performance review %d, over the periods since %s", k, AddMonths(from, (k-1)*ReviewEveryMonths).Format(time.DateOnly)),
		})
	}
	slices.SortStableFunc(out, func(a, b *contractv1.Obligation) int {
		da, _ := civil(a.GetDueDate())
		db, _ := civil(b.GetDueDate())
		return cmp.Or(da.Compare(db), cmp.Compare(a.GetKind(), b.GetKind()))
	})
	return out
}

// period is one reporting period: its first and last day and its label.
type period struct {
	first, last time.Time
	label       string
}

// periods yields the calendar periods of window w (monthly by default)
// that overlap from–end, the last cut short at end.
func periods(w typev1.MeasurementWindow, from, end time.Time) func(func(period) bool) {
	return func(yield func(period) bool) {
		var first time.Time
		switch w {
		case typev1.MeasurementWindow_MEASUREMENT_WINDOW_WEEKLY:
			first = from.AddDate(0, 0, -((int(from.Weekday()) + 6) % 7)) // Monday
		case typev1.MeasurementWindow_MEASUREMENT_WINDOW_QUARTERLY:
			first = time.Date(from.Year(), time.Month((int(from.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
		default:
			first = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
		}
		for !first.After(end) {
			var next time.Time
			var label string
			switch w {
			case typev1.MeasurementWindow_MEASUREMENT_WINDOW_WEEKLY:
				next = first.AddDate(0, 0, 7)
				y, wk := first.ISOWeek()
				label = fmt.Sprintf("%04d-W%02d", y, wk)
			case typev1.MeasurementWindow_MEASUREMENT_WINDOW_QUARTERLY:
				next = first.AddDate(0, 3, 0)
				label = fmt.Sprintf("%04d-Q%d", first.Year(), (int(first.Month())-1)/3+1)
			default:
				next = first.AddDate(0, 1, 0)
				label = first.Format("2006-01")
			}
			last := next.AddDate(0, 0, -1)
			if last.After(end) {
				last = end
			}
			if !yield(period{first: later(first, from), last: last, label: label}) {
				return
			}
			first = next
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
