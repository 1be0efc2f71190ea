package civil

import (
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/type/date"
)

func TestOfIsTheDayInTheTimesOwnZone(t *testing.T) {
	manila, err := time.LoadLocation("Asia/Manila")
	if err != nil {
		t.Fatal(err)
	}
	// 20:00 UTC on 31 December is already New Year's Day in Manila.
	at := time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC)
	if got := Format(Of(at)); got != "2026-12-31" {
		t.Errorf("in UTC: %s", got)
	}
	if got := Format(Of(at.In(manila))); got != "2027-01-01" {
		t.Errorf("in Manila: %s", got)
	}
}

func TestFormatShowsAnUnsetDateAsNothing(t *testing.T) {
	for _, d := range []*date.Date{nil, {}, {Month: 3, Day: 1}} {
		if got := Format(d); got != "" {
			t.Errorf("Format(%v) = %q, want empty", d, got)
		}
	}
	if got := Format(&date.Date{Year: 27, Month: 1, Day: 2}); got != "0027-01-02" {
		t.Errorf("a year is four digits: %s", got)
	}
}
