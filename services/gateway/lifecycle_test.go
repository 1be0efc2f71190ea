package gateway

import (
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/type/date"
)

func TestLatestPeriod(t *testing.T) {
	d := func(y, m, day int32) *date.Date { return &date.Date{Year: y, Month: m, Day: day} }
	tests := []struct {
		name         string
		commencement *date.Date
		now          time.Time
		zone         string
		want         string
	}{
		{"a month has ended since commencement: that month", d(2025, 5, 1), time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC), "America/Chicago", "2025-05"},
		{"several months since: the last complete one", d(2025, 1, 15), time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC), "America/Chicago", "2025-05"},
		{"commenced this month: this month, provisional", d(2025, 6, 3), time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC), "America/Chicago", "2025-06"},
		// 2025-07-01 03:00 UTC is still 30 June, 22:00 in Chicago: June is
		// the current month there, so May is the last complete one.
		{"months are in the service time zone", d(2025, 5, 1), time.Date(2025, 7, 1, 3, 0, 0, 0, time.UTC), "America/Chicago", "2025-05"},
		{"the same instant in UTC is July", d(2025, 5, 1), time.Date(2025, 7, 1, 3, 0, 0, 0, time.UTC), "UTC", "2025-06"},
		{"no zone means UTC", d(2025, 5, 1), time.Date(2025, 7, 1, 3, 0, 0, 0, time.UTC), "", "2025-06"},
		// Asunción skipped midnight on 1 October 2023 (23:59:59 −04 →
		// 01:00 −03); on 10 October September is the last complete month.
		{"a month whose first midnight a DST change skips", d(2023, 1, 1), time.Date(2023, 10, 10, 12, 0, 0, 0, time.UTC), "America/Asuncion", "2023-09"},
		{"commenced in that month: that month", d(2023, 10, 1), time.Date(2023, 10, 10, 12, 0, 0, 0, time.UTC), "America/Asuncion", "2023-10"},
		{"January's last complete month is December", d(2024, 3, 1), time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC), "UTC", "2024-12"},
		{"commencement in the future: this month", d(2025, 8, 1), time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC), "UTC", "2025-06"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := latestPeriod(tt.commencement, tt.now, tt.zone); got != tt.want {
				t.Errorf("latestPeriod = %s; want %s", got, tt.want)
			}
		})
	}
}
