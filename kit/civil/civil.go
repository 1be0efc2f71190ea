// Package civil converts and spells the API's calendar dates
// (google.type.Date): a day of the calendar, without a time or a zone.
package civil

import (
	"fmt"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/type/date"
)

// Of is the calendar date of t in t's own location.
func Of(t time.Time) *date.Date {
	return &date.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// Format is d as ISO 8601 (2027-01-11), or "" for a date that is not set
// (no year).
func Format(d *date.Date) string {
	if d.GetYear() == 0 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

// locations are the time zones loaded so far, by name.
var locations sync.Map // string → *time.Location

// Location is time.LoadLocation, each zone read once per process:
// LoadLocation reads and parses the zone's file on every call (about
// 28 µs and 16 allocations), and the hot paths ask for a contract's zone
// on every call (a contract read, every measurement batch).
func Location(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}
