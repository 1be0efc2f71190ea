package selection

import (
	"fmt"
	"time"
	_ "time/tzdata" // spec: README.md, the binaries embed the time-zone database

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"google.golang.org/genproto/googleapis/type/date"
)

// Client is the client's side of the work: where shore models and overlap
// are measured from. spec: catalog.md §2 "Engagement".
type Client struct {
	Country  string // ISO 3166-1 alpha-2
	TimeZone string // IANA
}

// nearshoreLimit is the largest difference of UTC offsets that is still
// nearshore. spec: catalog.md §3 "Shore model and overlap".
const nearshoreLimit = 3 * time.Hour

// The client's and the center's business hours, local time, Monday–Friday.
const (
	openHour  = 9
	closeHour = 17
)

// ReferenceInstant is the instant shore models and overlap are computed at:
// noon of the go-live date in the client's time zone, or now when the scope
// names no go-live date. Noon keeps the instant clear of DST changes, which
// happen at night. spec: catalog.md §3 "Shore model and overlap".
func ReferenceInstant(goLive *date.Date, client Client, now time.Time) (time.Time, error) {
	if goLive == nil || goLive.GetYear() == 0 {
		return now, nil
	}
	loc, err := time.LoadLocation(client.TimeZone)
	if err != nil {
		return time.Time{}, fmt.Errorf("client time zone %q: %w", client.TimeZone, err)
	}
	return time.Date(int(goLive.GetYear()), time.Month(goLive.GetMonth()), int(goLive.GetDay()), 12, 0, 0, 0, loc), nil
}

// ShoreModel classifies a delivery center relative to the client at the
// instant at: ONSHORE in the same country; otherwise NEARSHORE when the two
// UTC offsets at that instant differ by at most 3 hours, else OFFSHORE.
// spec: catalog.md §3 "Shore model and overlap".
func ShoreModel(client Client, center *catalogv1.DeliveryCenter, at time.Time) (catalogv1.ShoreModel, error) {
	if center.GetCountry() == client.Country {
		return catalogv1.ShoreModel_SHORE_MODEL_ONSHORE, nil
	}
	clientLoc, err := time.LoadLocation(client.TimeZone)
	if err != nil {
		return 0, fmt.Errorf("client time zone %q: %w", client.TimeZone, err)
	}
	centerLoc, err := time.LoadLocation(center.GetTimeZone())
	if err != nil {
		return 0, fmt.Errorf("time zone %q of center %q: %w", center.GetTimeZone(), center.GetName(), err)
	}
	_, co := at.In(clientLoc).Zone()
	_, so := at.In(centerLoc).Zone()
	diff := time.Duration(co-so) * time.Second
	if diff < 0 {
		diff = -diff
	}
	if diff <= nearshoreLimit {
		return catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, nil
	}
	return catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, nil
}

// Overlap is the business-hours overlap of the client and a center: for
// each weekday (Monday–Friday, client's calendar) of the week containing
// at, the time in which the client's 09:00–17:00 and the center's
// 09:00–17:00 on one of its own weekdays (or all day, when it operates
// 24×7) are both open; the result is the average per weekday. Each day is
// computed in real instants, so DST on either side is included.
// spec: catalog.md §3 "Shore model and overlap".
func Overlap(client Client, center *catalogv1.DeliveryCenter, at time.Time) (time.Duration, error) {
	clientLoc, err := time.LoadLocation(client.TimeZone)
	if err != nil {
		return 0, fmt.Errorf("client time zone %q: %w", client.TimeZone, err)
	}
	centerLoc, err := time.LoadLocation(center.GetTimeZone())
	if err != nil {
		return 0, fmt.Errorf("time zone %q of center %q: %w", center.GetTimeZone(), center.GetName(), err)
	}
	local := at.In(clientLoc)
	// Monday of the week containing at; Go's weekdays start on Sunday.
	monday := local.AddDate(0, 0, -((int(local.Weekday()) + 6) % 7))
	var total time.Duration
	for d := range 5 {
		day := monday.AddDate(0, 0, d)
		open := time.Date(day.Year(), day.Month(), day.Day(), openHour, 0, 0, 0, clientLoc)
		shut := time.Date(day.Year(), day.Month(), day.Day(), closeHour, 0, 0, 0, clientLoc)
		if center.GetOperates_24X7() {
			total += shut.Sub(open)
			continue
		}
		// The center's working days that can touch the client's day: UTC
		// offsets differ by at most 26 hours, so two days either side do.
		// Their windows are disjoint, so the overlaps simply add up.
		there := open.In(centerLoc)
		for k := -2; k <= 2; k++ {
			cd := there.AddDate(0, 0, k)
			if wd := cd.Weekday(); wd == time.Saturday || wd == time.Sunday {
				continue
			}
			cOpen := time.Date(cd.Year(), cd.Month(), cd.Day(), openHour, 0, 0, 0, centerLoc)
			cShut := time.Date(cd.Year(), cd.Month(), cd.Day(), closeHour, 0, 0, 0, centerLoc)
			total += intersection(open, shut, cOpen, cShut)
		}
	}
	return total / 5, nil
}

func intersection(aStart, aEnd, bStart, bEnd time.Time) time.Duration {
	start, end := aStart, aEnd
	if bStart.After(start) {
		start = bStart
	}
	if bEnd.Before(end) {
		end = bEnd
	}
	if !end.After(start) {
		return 0
	}
	return end.Sub(start)
}
