package evaluation

import (
	"fmt"
	"slices"
	"time"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
)

// Service bounds a contract's service: from commencement to the end of its
// last day of service (the end date, or the termination's effective date,
// whichever is earlier), in the service time zone.
type Service struct {
	Loc          *time.Location
	Commencement time.Time
	// End is the first instant after the last day of service; zero when
	// the contract has no end.
	End time.Time
}

// EndOfDay is the first instant after the local day y-m-d: the service
// ends there when that day is the last day of service.
func EndOfDay(year int, month time.Month, day int, loc *time.Location) time.Time {
	return midnight(year, month, day+1, loc)
}

// Statement periods are calendar months. spec: monitoring.md "Periods and
// evaluation"; the fees are monthly, so the statement is too, and weekly
// and quarterly levels are evaluated within it (Spans).

// MonthOf is the month of t in loc.
func MonthOf(t time.Time, loc *time.Location) Period {
	l := t.In(loc)
	return Period{Year: l.Year(), Month: l.Month()}
}

// Next is the month after p.
func (p Period) Next() Period {
	if p.Month == time.December {
		return Period{Year: p.Year + 1, Month: time.January}
	}
	return Period{Year: p.Year, Month: p.Month + 1}
}

// Prev is the month before p.
func (p Period) Prev() Period {
	if p.Month == time.January {
		return Period{Year: p.Year - 1, Month: time.December}
	}
	return Period{Year: p.Year, Month: p.Month - 1}
}

// Before reports whether p is an earlier month than q.
func (p Period) Before(q Period) bool {
	return p.Year < q.Year || p.Year == q.Year && p.Month < q.Month
}

// Days is the number of days of the month.
func (p Period) Days() int {
	return time.Date(p.Year, p.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Bounds is the calendar month p in loc, [first midnight, next first midnight).
func (p Period) Bounds(loc *time.Location) (time.Time, time.Time) {
	return midnight(p.Year, p.Month, 1, loc), midnight(p.Year, p.Month+1, 1, loc)
}

// First is the first period of service.
func (s Service) First() Period { return MonthOf(s.Commencement, s.Loc) }

// Last is the last period of service (ok false when the contract has no end).
func (s Service) Last() (Period, bool) {
	if s.End.IsZero() {
		return Period{}, false
	}
	return MonthOf(s.End.Add(-time.Nanosecond), s.Loc), true
}

// IsLast reports whether p is the last period of service.
func (s Service) IsLast(p Period) bool {
	l, ok := s.Last()
	return ok && l == p
}

// Window bounds period p by the service: the month, from commencement in
// the first period and to the end of the last day of service in the last.
// A period before commencement, after the last day of service (neither
// evaluated nor charged) or not begun at now is FAILED_PRECONDITION.
func (s Service) Window(p Period, now time.Time) (Window, error) {
	w, err := WindowOf(p, s.Loc, s.Commencement, now)
	if err != nil {
		return Window{}, err
	}
	if !s.End.IsZero() {
		if !w.Start.Before(s.End) {
			last, _ := s.Last()
			return Window{}, apperr.New(apperr.FailedPrecondition,
				"period %s is after the contract's last day of service (%s): it is neither evaluated nor charged; the last period is %s",
				p, s.End.Add(-time.Nanosecond).In(s.Loc).Format(time.DateOnly), last)
		}
		if s.End.Before(w.End) {
			w.End, w.ToEnd = s.End, true
		}
	}
	return w, nil
}

// ServiceDays counts the local days of w (a window of whole days).
func ServiceDays(w Window, loc *time.Location) int {
	a, b := w.Start.In(loc), w.End.In(loc)
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours()+12) / 24
}

// Span is one evaluation window of a level: the month, an ISO week, or a
// calendar quarter, clipped to the service.
type Span struct {
	Label      string
	Start, End time.Time
}

// Spans are the windows over which level is evaluated in period p's
// statement (w is p's window):
//
//   - MONTHLY (and unset): the period itself;
//   - WEEKLY: each ISO week (Monday to Sunday, local) that ends in the
//     month, and in the last period of service also the week holding the
//     last day of service; a week reaching back before commencement starts
//     at commencement. The level's credit is its allocation × the share of
//     these weeks missed;
//   - QUARTERLY: the calendar quarter, evaluated in the statement of its
//     last month (March, June, September, December) or of the last period
//     of service; in the other months the level has no result of its own
//     (ok false) and costs nothing there.
func (s Service) Spans(level *typev1.ServiceLevel, p Period, w Window) ([]Span, bool) {
	clip := func(sp Span) Span {
		if sp.Start.Before(s.Commencement) {
			sp.Start = s.Commencement
		}
		if !s.End.IsZero() && s.End.Before(sp.End) {
			sp.End = s.End
		}
		return sp
	}
	switch level.GetWindow() {
	case typev1.MeasurementWindow_MEASUREMENT_WINDOW_WEEKLY:
		var out []Span
		start, end := p.Bounds(s.Loc)
		// The Monday of the week holding the month's first day.
		first := start.In(s.Loc)
		back := (int(first.Weekday()) + 6) % 7 // days since Monday
		for mon := midnight(first.Year(), first.Month(), first.Day()-back, s.Loc); mon.Before(end); {
			m := mon.In(s.Loc)
			next := midnight(m.Year(), m.Month(), m.Day()+7, s.Loc)
			sunday := midnight(m.Year(), m.Month(), m.Day()+6, s.Loc)
			y, wk := m.ISOWeek()
			sp := Span{Label: fmt.Sprintf("%04d-W%02d", y, wk), Start: mon, End: next}
			inMonth := !sunday.Before(start) && sunday.Before(end)
			last := s.IsLast(p) && sp.Start.Before(w.End) && !sunday.Before(end)
			if (inMonth || last) && sp.End.After(s.Commencement) && (s.End.IsZero() || sp.Start.Before(s.End)) {
				out = append(out, clip(sp))
			}
			mon = next
		}
		return out, len(out) > 0
	case typev1.MeasurementWindow_MEASUREMENT_WINDOW_QUARTERLY:
		q := (int(p.Month) - 1) / 3
		if int(p.Month)%3 != 0 && !s.IsLast(p) {
			return nil, false
		}
		first := Period{Year: p.Year, Month: time.Month(q*3 + 1)}
		start, _ := first.Bounds(s.Loc)
		_, end := p.Bounds(s.Loc)
		if int(p.Month)%3 != 0 {
			end = w.End
		}
		return []Span{clip(Span{Label: fmt.Sprintf("%04d-Q%d", p.Year, q+1), Start: start, End: end})}, true
	}
	return []Span{{Label: p.String(), Start: w.Start, End: w.End}}, true
}

// StatementOf is the period whose statement uses a measurement of level
// taken at t: the month of t, for a weekly level the month its week ends
// in, for a quarterly level the quarter's last month — never later than
// the last period of service. A measurement for a closed statement period
// is rejected.
func (s Service) StatementOf(level *typev1.ServiceLevel, t time.Time) Period {
	p := MonthOf(t, s.Loc)
	switch level.GetWindow() {
	case typev1.MeasurementWindow_MEASUREMENT_WINDOW_WEEKLY:
		l := t.In(s.Loc)
		ahead := (7 - int(l.Weekday())) % 7 // days to Sunday
		p = MonthOf(midnight(l.Year(), l.Month(), l.Day()+ahead, s.Loc), s.Loc)
	case typev1.MeasurementWindow_MEASUREMENT_WINDOW_QUARTERLY:
		p.Month = time.Month(((int(p.Month)-1)/3)*3 + 3)
	}
	if last, ok := s.Last(); ok && last.Before(p) {
		p = last
	}
	return p
}

// Hours are a contract's service hours: the local times in which
// AVAILABILITY is measured. The zero value is around the clock.
type Hours struct {
	// Days of service; empty means every day.
	Days []time.Weekday
	// Start and End of the service day, as offsets from local midnight;
	// both zero means the whole day.
	Start, End time.Duration
	// Holidays are local dates (YYYY-MM-DD) without service.
	Holidays map[string]bool
}

// AroundTheClock reports whether h is every minute of every day.
func (h Hours) AroundTheClock() bool {
	return len(h.Days) == 0 && h.Start == 0 && h.End == 0 && len(h.Holidays) == 0
}

// Intervals are the service time of [from, to) under h, in order.
func (h Hours) Intervals(from, to time.Time, loc *time.Location) []Interval {
	if h.AroundTheClock() {
		return []Interval{{Start: from, End: to}}
	}
	var out []Interval
	f := from.In(loc)
	for day := midnight(f.Year(), f.Month(), f.Day(), loc); day.Before(to); {
		d := day.In(loc)
		next := midnight(d.Year(), d.Month(), d.Day()+1, loc)
		if (len(h.Days) == 0 || slices.Contains(h.Days, d.Weekday())) && !h.Holidays[d.Format(time.DateOnly)] {
			iv := Interval{Start: day, End: next}
			if h.Start != 0 || h.End != 0 {
				// Wall-clock times of the local day (a DST change moves them with the clock).
				iv.Start = wall(d, h.Start, loc)
				iv.End = wall(d, h.End, loc)
			}
			iv.Start, iv.End = maxTime(iv.Start, from), minTime(iv.End, to)
			if iv.End.After(iv.Start) {
				out = append(out, iv)
			}
		}
		day = next
	}
	return out
}

// wall is the instant of local wall-clock time off after midnight of day d.
func wall(d time.Time, off time.Duration, loc *time.Location) time.Time {
	h, m := int(off/time.Hour), int(off%time.Hour/time.Minute)
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc)
}

// Subtract returns the parts of in (disjoint, in order) outside cut.
func Subtract(in, cut []Interval) []Interval {
	cut = mergeIntervals(cut)
	var out []Interval
	for _, iv := range in {
		rest := []Interval{iv}
		for _, c := range cut {
			var next []Interval
			for _, r := range rest {
				if !c.Start.Before(r.End) || !c.End.After(r.Start) {
					next = append(next, r)
					continue
				}
				if c.Start.After(r.Start) {
					next = append(next, Interval{Start: r.Start, End: c.Start})
				}
				if c.End.Before(r.End) {
					next = append(next, Interval{Start: c.End, End: r.End})
				}
			}
			rest = next
		}
		out = append(out, rest...)
	}
	return out
}

// Length is the total length of disjoint intervals.
func Length(ivs []Interval) time.Duration {
	var d time.Duration
	for _, iv := range ivs {
		d += iv.End.Sub(iv.Start)
	}
	return d
}

// Overlap is the length of the intersection of two sets of disjoint
// intervals.
func Overlap(a, b []Interval) time.Duration {
	var d time.Duration
	for _, x := range a {
		for _, y := range b {
			if c := x.Intersect(y); c.End.After(c.Start) {
				d += c.End.Sub(c.Start)
			}
		}
	}
	return d
}

// Minutes writes d in minutes (exact within 6 places).
func Minutes(d time.Duration) string { return minutes(d) }
