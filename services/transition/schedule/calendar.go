// Package schedule computes a transition plan's schedule by the
// critical-path method over working days: a forward pass for the earliest
// dates, a backward pass from the latest finish for the latest dates, the
// slack, the critical path to the cutover milestone, and the forecast
// go-live. Plain Go: no gRPC, no SQL. spec: transition.md, "Schedule".
package schedule

import (
	"slices"
	"time"
)

// Calendar counts working days: Monday to Friday, except holidays. Working
// day 0 is the plan's start date, or the first working day after it when
// the start is not one; days before it have negative numbers.
//
// Internally a date is its day number (days since 1970-01-01), so the
// conversions are arithmetic on whole weeks plus a binary search among the
// holidays, with no day-by-day loop: fast enough for thousands of tasks.
type Calendar struct {
	holidays []int64 // weekday holidays, sorted, each once
	origin   int64   // working days before the start date (see before)
}

// anchor is a Monday's day number (1970-01-05): whole weeks are counted
// from it.
const anchor = 4

// NewCalendar returns the calendar of a plan that starts on start, with
// holidays besides the weekends. Dates are taken as calendar days: only
// their year, month and day count.
func NewCalendar(start time.Time, holidays []time.Time) *Calendar {
	c := &Calendar{}
	for _, h := range holidays {
		if d := dayNumber(h); weekday(d) {
			c.holidays = append(c.holidays, d)
		}
	}
	slices.Sort(c.holidays)
	c.holidays = slices.Compact(c.holidays)
	c.origin = c.before(dayNumber(start))
	return c
}

// Index returns the number of the working day of date: the first working
// day on or after it. A Saturday has the number of the Monday after.
func (c *Calendar) Index(date time.Time) int { return int(c.before(dayNumber(date)) - c.origin) }

// Date returns the date of working day i.
func (c *Calendar) Date(i int) time.Time {
	target := c.origin + int64(i)
	// x is the first weekday with target+h weekdays before it; it is the
	// answer once exactly h holidays lie before it and it is not one itself.
	// h only grows, so this ends after at most a few rounds.
	h := int64(0)
	for {
		x := firstWeekdayAfter(target + h)
		n := int64(c.holidaysBefore(x))
		switch {
		case n > h:
			h = n
		case c.isHoliday(x):
			h = n + 1
		default:
			return fromDayNumber(x)
		}
	}
}

// Between returns the working days from a to b: Index(b) − Index(a);
// negative when b is before a.
func (c *Calendar) Between(a, b time.Time) int { return c.Index(b) - c.Index(a) }

// IsWorkingDay reports whether date is a working day.
func (c *Calendar) IsWorkingDay(date time.Time) bool {
	d := dayNumber(date)
	return weekday(d) && !c.isHoliday(d)
}

// before returns the working days before day d, counted from the anchor
// (negative before it).
func (c *Calendar) before(d int64) int64 {
	return weekdaysBefore(d) - int64(c.holidaysBefore(d))
}

func (c *Calendar) holidaysBefore(d int64) int {
	n, _ := slices.BinarySearch(c.holidays, d)
	return n
}

func (c *Calendar) isHoliday(d int64) bool {
	_, found := slices.BinarySearch(c.holidays, d)
	return found
}

// weekdaysBefore returns the Mondays to Fridays from the anchor up to day d
// (excluded); negative for days before the anchor.
func weekdaysBefore(d int64) int64 {
	n := d - anchor
	weeks, rest := floorDiv(n, 7)
	return weeks*5 + min(rest, 5)
}

// firstWeekdayAfter returns the weekday that has exactly k weekdays before
// it (counted from the anchor).
func firstWeekdayAfter(k int64) int64 {
	weeks, rest := floorDiv(k, 5)
	return anchor + weeks*7 + rest
}

func weekday(d int64) bool {
	_, rest := floorDiv(d-anchor, 7)
	return rest < 5
}

// floorDiv returns the quotient rounded down and a remainder in [0, b).
func floorDiv(a, b int64) (int64, int64) {
	q, r := a/b, a%b
	if r < 0 {
		q, r = q-1, r+b
	}
	return q, r
}

// dayNumber returns the days from 1970-01-01 to t's calendar date (in t's
// own location).
func dayNumber(t time.Time) int64 {
	u := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix()
	q, _ := floorDiv(u, 86400)
	return q
}

func fromDayNumber(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }
