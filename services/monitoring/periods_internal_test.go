package monitoring

import (
	"math/big"
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"google.golang.org/genproto/googleapis/type/dayofweek"
	"google.golang.org/genproto/googleapis/type/timeofday"
)

func TestWeeklyLevelCombinesItsWeeks(t *testing.T) {
	l := &typev1.ServiceLevel{Key: "backlog", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL, Window: typev1.MeasurementWindow_MEASUREMENT_WINDOW_WEEKLY}
	week := func(o evaluation.Outcome) evaluation.Result { return evaluation.Result{Level: l, Outcome: o, Used: 3} }
	parts := make([]evaluation.WindowResult, 4)
	for i := range parts {
		parts[i].Label = "2025-W2" + string(rune('2'+i))
	}
	// 1 missed and 1 without data of 4 weeks: MISSED, share 2/4.
	r := weekly(l, []evaluation.Result{week(evaluation.Met), week(evaluation.Missed), week(evaluation.NoData), week(evaluation.Met)}, parts)
	if r.Outcome != evaluation.Missed || r.Share.Cmp(big.NewRat(1, 2)) != 0 || r.Used != 12 {
		t.Errorf("outcome %v share %v used %d", r.Outcome, r.Share, r.Used)
	}
	r = weekly(l, []evaluation.Result{week(evaluation.Met), week(evaluation.Met)}, parts[:2])
	if r.Outcome != evaluation.Met || r.Share.Sign() != 0 {
		t.Errorf("all met: %v %v", r.Outcome, r.Share)
	}
	r = weekly(l, []evaluation.Result{week(evaluation.NoData), week(evaluation.NoData)}, parts[:2])
	if r.Outcome != evaluation.NoData {
		t.Errorf("no data: %v", r.Outcome)
	}
}

func TestHoursOf(t *testing.T) {
	h, words, err := hoursOf(&contractv1.ServiceHours{
		Days:  []dayofweek.DayOfWeek{dayofweek.DayOfWeek_MONDAY, dayofweek.DayOfWeek_SUNDAY},
		Start: &timeofday.TimeOfDay{Hours: 7}, End: &timeofday.TimeOfDay{Hours: 19, Minutes: 30},
	})
	if err != nil || h.Start != 7*time.Hour || h.End != 19*time.Hour+30*time.Minute || h.Days[0] != time.Monday || h.Days[1] != time.Sunday {
		t.Fatalf("%+v %q %v", h, words, err)
	}
	if words != "service hours 07:00–19:30 on MONDAY, SUNDAY" {
		t.Errorf("words %q", words)
	}
	if _, _, err := hoursOf(&contractv1.ServiceHours{Start: &timeofday.TimeOfDay{Hours: 19}, End: &timeofday.TimeOfDay{Hours: 7}}); err == nil {
		t.Error("an end before the start was read")
	}
}
