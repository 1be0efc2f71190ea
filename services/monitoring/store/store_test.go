package store_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
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
					fates, err = store.Save(ctx, tx, "contracts/c1", items, time.Now(), time.UTC)
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
					values = append(values, strings.Clone(v)) // v is valid only during the call
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
			fates, err := store.Save(ctx, tx, "contracts/c1", items, time.Now(), time.UTC)
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
					fates, err = store.Save(ctx, tx, "contracts/c1", items, time.Now(), time.UTC)
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
					ratios = append(ratios, [2]string{strings.Clone(num), strings.Clone(den)})
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

// TestConcurrentOverlappingSaves: 20 transactions at once, each saving 500
// event ids in a window 25 ids after the previous one, some with their
// items in reverse order, all succeed; each of the 19 × 25 + 500 = 975
// ids is Accepted by exactly one of them and a Duplicate in every other
// that holds it, and 975 rows are stored. On PostgreSQL the transactions
// really overlap: a save that reads before it inserts fails with a
// duplicate key here; and the summaries kept count each once. spec:
// monitoring.md "Measurements" (re-sending an event id is a no-op); issue
// 7 item 2.
func TestConcurrentOverlappingSaves(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "monitoring", monitoring.Migrations())
			ctx := context.Background()
			t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
			const batches, size, shift = 20, 500, 25
			fates := make([][]store.Fate, batches)
			items := make([][]evaluation.Stored, batches)
			errs := make([]error, batches)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for c := range batches {
				for i := range size {
					id := c*shift + i
					items[c] = append(items[c], evaluation.Stored{Key: "asa", EventID: fmt.Sprintf("ov-%04d", id), Time: t0.Add(time.Duration(id) * time.Second), Value: "4"})
				}
				if c%2 == 1 {
					slices.Reverse(items[c])
				}
				wg.Go(func() {
					<-start
					errs[c] = db.Write(ctx, func(tx *sqlstore.Tx) error {
						var err error
						fates[c], err = store.Save(ctx, tx, "contracts/c1", items[c], time.Now(), time.UTC)
						return err
					})
				})
			}
			close(start)
			wg.Wait()

			acceptedBy := map[string]int{}
			for c := range batches {
				if errs[c] != nil {
					t.Errorf("batch %d: %v, want it saved", c, errs[c])
					continue
				}
				for i, f := range fates[c] {
					switch f {
					case store.Accepted:
						acceptedBy[items[c][i].EventID]++
					case store.Duplicate:
					default:
						t.Errorf("batch %d item %s: fate %v, want accepted or duplicate", c, items[c][i].EventID, f)
					}
				}
			}
			const distinct = (batches-1)*shift + size
			if len(acceptedBy) != distinct {
				t.Errorf("%d ids accepted, want %d", len(acceptedBy), distinct)
			}
			for id, n := range acceptedBy {
				if n != 1 {
					t.Errorf("%s accepted %d times, want once", id, n)
				}
			}
			var rows int
			err := db.Read(ctx, func(tx *sqlstore.Tx) error {
				return store.Values(ctx, tx, "contracts/c1", "asa", t0, t0.Add(time.Hour), func(string) error {
					rows++
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if rows != distinct {
				t.Errorf("%d rows stored, want %d", rows, distinct)
			}
			// The summaries the batches kept (and merged, under their
			// lock on PostgreSQL, while others inserted) count each
			// accepted measurement once, by day and by month.
			for _, grain := range []string{"day", "month"} {
				var n int
				err := db.Read(ctx, func(tx *sqlstore.Tx) error {
					return tx.QueryRow(ctx, `SELECT SUM(n) FROM measurement_rollups WHERE grain = ?`, grain).Scan(&n)
				})
				if err != nil {
					t.Fatal(err)
				}
				if n != distinct {
					t.Errorf("the %s summaries count %d measurements, want %d", grain, n, distinct)
				}
			}
		})
	}
}
