package terms

import (
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
)

// Today reads the day in the contract's service time zone, the same on
// every call (the zone is loaded once and kept), and in UTC for a
// contract without a zone or with one that does not exist.
func TestToday(t *testing.T) {
	// 2027-03-01 03:30 UTC is 2027-02-28 22:30 in New York (UTC−5 in
	// winter) and 2027-03-01 12:30 in Tokyo (UTC+9).
	now := time.Date(2027, 3, 1, 3, 30, 0, 0, time.UTC)
	tests := []struct {
		zone string
		want time.Time
	}{
		{"America/New_York", time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC)},
		{"Asia/Tokyo", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"Mars/Olympus_Mons", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
	}
	for range 2 { // the second round from the loaded zones
		for _, tt := range tests {
			if got := Today(&contractv1.Contract{ServiceTimeZone: tt.zone}, now); !got.Equal(tt.want) {
				t.Errorf("Today in %q = %s, want %s", tt.zone, got.Format(time.DateOnly), tt.want.Format(time.DateOnly))
			}
		}
	}
	if got := zoneName(&contractv1.Contract{ServiceTimeZone: "Mars/Olympus_Mons"}); got != "UTC" {
		t.Errorf("zoneName of an unknown zone = %q, want UTC", got)
	}
}
