package walk

import (
	"testing"
	"time"
)

// TestMeasurements checks the month the provider reports against the
// numbers the walk's story (and the end-to-end test) rely on.
func TestMeasurements(t *testing.T) {
	loc, err := time.LoadLocation(ServiceZone)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, loc)
	end := start.AddDate(0, 1, 0)
	ms := Measurements(start, end.Add(72*time.Hour))

	type agg struct {
		n, within int
		sum       float64
	}
	by := map[string]*agg{}
	ids := map[string]bool{}
	for _, m := range ms {
		a := by[m.GetServiceLevelKey()]
		if a == nil {
			a = &agg{}
			by[m.GetServiceLevelKey()] = a
		}
		a.n++
		a.sum += m.GetValue()
		if m.GetValue() <= 20 {
			a.within++
		}
		if at := m.GetEventTime().AsTime(); at.Before(start) || !at.Before(end) {
			t.Errorf("%s at %s: outside the month %s – %s", m.GetEventId(), at, start, end)
		}
		key := m.GetServiceLevelKey() + "/" + m.GetEventId()
		if ids[key] {
			t.Errorf("event id %s twice", key)
		}
		ids[key] = true
	}
	// 153 of every 200 calls within 20 s, 15 blocks of 200: 2 295 of
	// 3 000 = 76.5 %, below the 80 % target.
	if a := by["asa_20s"]; a.n != 3000 || a.within != 2295 {
		t.Errorf("asa_20s: %d calls, %d within 20 s; want 3000 and 2295 (76.5 %%)", a.n, a.within)
	}
	// 431 points per 100 surveys, 6 × 100: 2 586 / 600 = 4.31.
	if a := by["csat"]; a.n != 600 || a.sum != 2586 {
		t.Errorf("csat: %d surveys summing to %v; want 600 summing to 2586 (mean 4.31)", a.n, a.sum)
	}
	// 300 × 360 s + 300 × 430 s = 237 000 s over 600: 395 s.
	if a := by["aht_s"]; a.n != 600 || a.sum != 237000 {
		t.Errorf("aht_s: %d handle times summing to %v; want 600 summing to 237000 (mean 395)", a.n, a.sum)
	}
}

// TestMeasurementsNeverInTheFuture: were the month still running, no
// event would lie beyond now.
func TestMeasurementsNeverInTheFuture(t *testing.T) {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	now := start.Add(10 * 24 * time.Hour)
	for _, m := range Measurements(start, now) {
		if m.GetEventTime().AsTime().After(now) {
			t.Fatalf("%s at %s is after now %s", m.GetEventId(), m.GetEventTime().AsTime(), now)
		}
	}
}
