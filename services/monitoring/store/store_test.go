package store_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/monitoring"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"github.com/acme/bpo/services/monitoring/store"
)

func TestSaveAndValues(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "monitoring", monitoring.Migrations())
			ctx := context.Background()
			t0 := time.Date(2025, 3, 1, 0, 0, 0, 123, time.UTC)
			m := func(key, id string, offset time.Duration, v string) evaluation.Stored {
				return evaluation.Stored{Key: key, EventID: id, Time: t0.Add(offset), Value: v}
			}
			save := func(items ...evaluation.Stored) []store.Fate {
				t.Helper()
				var fates []store.Fate
				err := db.Write(ctx, func(tx *sqlstore.Tx) error {
					var err error
					fates, err = store.Save(ctx, tx, "contracts/c1", items, time.Now())
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return fates
			}
			got := save(
				m("asa", "e1", 0, "12.5"),
				m("asa", "e2", time.Hour, "30"),
				m("asa", "e1", 0, "12.5"),       // same content later in the batch
				m("asa", "e2", time.Hour, "31"), // different content later in the batch
				m("csat", "e1", 0, "4.1"),       // same event id, other key: its own measurement
			)
			want := []store.Fate{store.Accepted, store.Accepted, store.Duplicate, store.Conflict, store.Accepted}
			if !slices.Equal(got, want) {
				t.Fatalf("first batch %v, want %v", got, want)
			}
			got = save(
				m("asa", "e1", 0, "12.5"),             // retry: duplicate
				m("asa", "e2", time.Hour+1, "30"),     // other time: conflict
				m("asa", "e3", 31*24*time.Hour, "18"), // next month
			)
			want = []store.Fate{store.Duplicate, store.Conflict, store.Accepted}
			if !slices.Equal(got, want) {
				t.Fatalf("second batch %v, want %v", got, want)
			}

			var values []string
			err := db.Read(ctx, func(tx *sqlstore.Tx) error {
				return store.Values(ctx, tx, "contracts/c1", "asa", t0, t0.Add(31*24*time.Hour), func(v string) error {
					values = append(values, v)
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			// [t0, t0+31 days): e1 and e2; e3 lies exactly at the end, excluded.
			if !slices.Equal(values, []string{"12.5", "30"}) {
				t.Errorf("values %v, want [12.5 30]", values)
			}
		})
	}
}

func TestSaveLargeBatch(t *testing.T) {
	db := sqltest.Open(t, sqltest.SQLite, "monitoring", monitoring.Migrations())
	ctx := context.Background()
	items := make([]evaluation.Stored, 10_000) // the largest batch the API takes: several chunks
	for i := range items {
		items[i] = evaluation.Stored{Key: "asa", EventID: "e" + strconv.Itoa(i), Time: time.Unix(int64(i), 0), Value: "1"}
	}
	for round, want := range []store.Fate{store.Accepted, store.Duplicate} {
		err := db.Write(ctx, func(tx *sqlstore.Tx) error {
			fates, err := store.Save(ctx, tx, "contracts/c1", items, time.Now())
			for i, f := range fates {
				if f != want {
					t.Fatalf("round %d item %d: %v, want %v", round, i, f, want)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestOutagesAndRatios: an outage is read by every period it overlaps,
// whenever it was reported; a report without an outage only by the period
// of its event time; denominators and outages are part of a measurement's
// content for duplicate detection.
func TestOutagesAndRatios(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "monitoring", monitoring.Migrations())
			ctx := context.Background()
			march := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
			april := march.AddDate(0, 1, 0)
			may := april.AddDate(0, 1, 0)
			out := func(id string, from, to time.Time) evaluation.Stored {
				return evaluation.Stored{Key: "portal", EventID: id, Time: from, Value: "0", Outage: &evaluation.Interval{Start: from, End: to}}
			}
			up := evaluation.Stored{Key: "portal", EventID: "up", Time: april.Add(time.Hour), Value: "0"}
			save := func(items ...evaluation.Stored) []store.Fate {
				t.Helper()
				var fates []store.Fate
				if err := db.Write(ctx, func(tx *sqlstore.Tx) error {
					var err error
					fates, err = store.Save(ctx, tx, "contracts/c1", items, time.Now())
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return fates
			}
			across := out("across", april.Add(-time.Hour), april.Add(time.Hour)) // 31 Mar 23:00 – 1 Apr 01:00
			inMarch := out("march", march.Add(time.Hour), march.Add(2*time.Hour))
			atEnd := out("at-end", april.Add(-time.Hour), april) // ends as April begins: not April's
			fcr := evaluation.Stored{Key: "fcr", EventID: "f1", Time: april.Add(time.Hour), Value: "2", Denominator: "4"}
			if got := save(across, inMarch, atEnd, up, fcr); !slices.Equal(got, []store.Fate{store.Accepted, store.Accepted, store.Accepted, store.Accepted, store.Accepted}) {
				t.Fatalf("first batch %v", got)
			}
			longer, otherDen := out("across", april.Add(-time.Hour), april.Add(2*time.Hour)), fcr
			otherDen.Denominator = "5"
			if got := save(across, longer, fcr, otherDen); !slices.Equal(got, []store.Fate{store.Duplicate, store.Conflict, store.Duplicate, store.Conflict}) {
				t.Fatalf("retries %v, want duplicate, conflict, duplicate, conflict", got)
			}

			outages := func(start, end time.Time) (ids []string) {
				t.Helper()
				if err := db.Read(ctx, func(tx *sqlstore.Tx) error {
					return store.Outages(ctx, tx, "contracts/c1", "portal", start, end, func(o *evaluation.Interval) error {
						if o == nil {
							ids = append(ids, "up")
						} else {
							ids = append(ids, o.Start.UTC().Format("01-02T15")+"/"+o.End.UTC().Format("01-02T15"))
						}
						return nil
					})
				}); err != nil {
					t.Fatal(err)
				}
				slices.Sort(ids)
				return ids
			}
			if got, want := outages(march, april), []string{"03-01T01/03-01T02", "03-31T23/04-01T00", "03-31T23/04-01T01"}; !slices.Equal(got, want) {
				t.Errorf("March reads %v, want %v", got, want)
			}
			if got, want := outages(april, may), []string{"03-31T23/04-01T01", "up"}; !slices.Equal(got, want) {
				t.Errorf("April reads %v, want %v", got, want)
			}

			var ratios [][2]string
			if err := db.Read(ctx, func(tx *sqlstore.Tx) error {
				return store.Ratios(ctx, tx, "contracts/c1", "fcr", april, may, func(num, den string) error {
					ratios = append(ratios, [2]string{num, den})
					return nil
				})
			}); err != nil {
				t.Fatal(err)
			}
			if len(ratios) != 1 || ratios[0] != [2]string{"2", "4"} {
				t.Errorf("ratios %v, want [[2 4]]", ratios)
			}
		})
	}
}
