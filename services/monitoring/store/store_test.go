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
