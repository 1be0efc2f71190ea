package terms

import (
	"time"

	"google.golang.org/genproto/googleapis/type/date"
)

// civil returns d as midnight UTC and whether d is a whole, real calendar
// date (no zero year, month or day; no 31 April).
func civil(d *date.Date) (time.Time, bool) {
	if d == nil || d.GetYear() < 1 || d.GetYear() > 9999 || d.GetMonth() < 1 || d.GetMonth() > 12 || d.GetDay() < 1 {
		return time.Time{}, false
	}
	t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	return t, t.Day() == int(d.GetDay())
}

func toDate(t time.Time) *date.Date {
	return &date.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// TermEnd is the last day of a term of months starting on start: the day
// before the start's anniversary months later, where an anniversary that
// does not exist falls on the last day of its month (a term of 1 month
// from 31 January ends 27 February: the anniversary is 28 February).
// spec: contract.md, "term"; the pre-fill rule of the task (end = start +
// term months − 1 day).
func TermEnd(start *date.Date, months int) (*date.Date, bool) {
	s, ok := civil(start)
	if !ok || months <= 0 {
		return nil, false
	}
	firstOfMonth := time.Date(s.Year(), s.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, months, 0)
	lastDay := firstOfMonth.AddDate(0, 1, -1).Day()
	day := min(s.Day(), lastDay)
	anniversary := time.Date(firstOfMonth.Year(), firstOfMonth.Month(), day, 0, 0, 0, 0, time.UTC)
	return toDate(anniversary.AddDate(0, 0, -1)), true
}

// Civil is d as midnight UTC and whether d is a whole, real calendar date.
func Civil(d *date.Date) (time.Time, bool) { return civil(d) }
