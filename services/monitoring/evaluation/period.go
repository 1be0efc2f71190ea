// Package evaluation holds monitoring's rules: which measurements are
// accepted, how a period is bounded, how a service level's measurements
// become one exact period value and outcome, and the period statement
// (charges, at-risk amount, credits, net). Plain Go: no gRPC, no SQL.
// spec: monitoring.md "Metric definitions", "Measurements", "Periods and
// evaluation".
package evaluation

import (
	"fmt"
	"time"

	"github.com/acme/bpo/kit/apperr"
)

// Period is a calendar month of a contract, named `YYYY-MM`.
type Period struct {
	Year  int
	Month time.Month
}

// ParsePeriod reads `YYYY-MM`.
func ParsePeriod(s string) (Period, error) {
	bad := apperr.Invalid(apperr.FieldViolation{Field: "name", Description: fmt.Sprintf("period %q is not a month written YYYY-MM (e.g. 2025-03)", s)})
	if len(s) != 7 || s[4] != '-' {
		return Period{}, bad
	}
	// Digits only: strconv.Atoi would also take a sign ("+025-03").
	y, m := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 4:
		case c < '0' || c > '9':
			return Period{}, bad
		case i < 4:
			y = y*10 + int(c-'0')
		default:
			m = m*10 + int(c-'0')
		}
	}
	if y < 1 || m < 1 || m > 12 {
		return Period{}, bad
	}
	return Period{Year: y, Month: time.Month(m)}, nil
}

func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month)) }

// Window is the stretch of time a period is evaluated over.
type Window struct {
	// Start is inclusive, End exclusive.
	Start, End time.Time
	// FromCommencement is set when the month began before service
	// commencement and the window starts at commencement instead.
	FromCommencement bool
	// ToEnd is set when the last day of service ends the window before the
	// month does.
	ToEnd bool
}

// WindowOf bounds period p in the contract's service time zone loc: from
// midnight of the month's first day to midnight of the next month's, so a
// month in Asia/Manila starts at 16:00 UTC the day before. A month that
// began before commencement is evaluated from commencement; a month that
// ends before it, or has not begun at now, has nothing to evaluate.
// spec: monitoring.md "Periods and evaluation": a period follows the
// contract's window (calendar month in the service time zone) from the
// commencement date.
func WindowOf(p Period, loc *time.Location, commencement, now time.Time) (Window, error) {
	w := Window{Start: midnight(p.Year, p.Month, 1, loc), End: midnight(p.Year, p.Month+1, 1, loc)}
	if !w.End.After(commencement) {
		first := Period{Year: commencement.Year(), Month: commencement.Month()}
		return Window{}, apperr.New(apperr.FailedPrecondition,
			"period %s ends before service commencement on %s: evaluate %s or a later period",
			p, commencement.Format(time.DateOnly), first)
	}
	if !w.Start.Before(now) {
		return Window{}, apperr.New(apperr.FailedPrecondition,
			"period %s has not begun yet (it starts %s in %s): evaluate it once it has begun",
			p, w.Start.Format(time.DateOnly), loc)
	}
	if w.Start.Before(commencement) {
		w.Start, w.FromCommencement = commencement, true
	}
	return w, nil
}

// Commencement is the instant service begins: midnight of the commencement
// date in the service time zone.
func Commencement(year int, month time.Month, day int, loc *time.Location) time.Time {
	return midnight(year, month, day, loc)
}

// midnight is the first instant of the day in loc. That is 00:00 except
// where a daylight-saving change skips midnight (America/Asuncion went from
// 23:59:59 on 30 September 2023 to 01:00 on 1 October): the day then begins
// at the change, where time.Date answers 23:00 of the day before and would
// move that hour into the wrong period. month and day may overflow, as for
// time.Date.
func midnight(year int, month time.Month, day int, loc *time.Location) time.Time {
	t := time.Date(year, month, day, 0, 0, 0, 0, loc)
	if noon := time.Date(year, month, day, 12, 0, 0, 0, loc); t.Day() != noon.Day() {
		_, t = t.ZoneBounds()
	}
	return t
}
