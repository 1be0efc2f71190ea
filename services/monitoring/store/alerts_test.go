package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/monitoring"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"github.com/acme/bpo/services/monitoring/store"
)

// TestAlertFeed: an alert is raised once per contract, period, level and
// condition, even when eight raises of the same one race (the unique key);
// eight different ones racing get the cursors 1…8 without a gap; a watcher
// resumes after its cursor, per contract.
func TestAlertFeed(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "monitoring", monitoring.Migrations())
			ctx := context.Background()
			now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
			raise := func(key store.AlertKey, alert string) (int64, error) {
				return sqlstore.RetryConflicts(ctx, func() (int64, error) {
					var seq int64
					err := db.Write(ctx, func(tx *sqlstore.Tx) error {
						var err error
						seq, err = store.RaiseAlert(ctx, tx, key, alert, now)
						return err
					})
					return seq, err
				})
			}
			same := store.AlertKey{Contract: "contracts/c1", Period: "2026-11", Level: "asa", Condition: "MISSED"}
			var wg sync.WaitGroup
			results := make(chan error, 8)
			seqs := make(chan int64, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					seq, err := raise(same, fmt.Sprintf("contracts/c1/alerts/a%d", i))
					results <- err
					if err == nil {
						seqs <- seq
					}
				}()
			}
			wg.Wait()
			close(results)
			close(seqs)
			raised, dup := 0, 0
			for err := range results {
				switch {
				case err == nil:
					raised++
				case errors.Is(err, store.ErrRaised):
					dup++
				default:
					t.Fatalf("raise: %v", err)
				}
			}
			if raised != 1 || dup != 7 {
				t.Fatalf("8 racing raises of one alert: %d raised, %d refused as raised; want 1 and 7", raised, dup)
			}
			if seq := <-seqs; seq != 1 {
				t.Errorf("first cursor %d, want 1", seq)
			}

			// Seven different alerts racing, on two contracts.
			var wg2 sync.WaitGroup
			for i := range 7 {
				wg2.Add(1)
				go func() {
					defer wg2.Done()
					c := "contracts/c1"
					if i%2 == 1 {
						c = "contracts/c2"
					}
					if _, err := raise(store.AlertKey{Contract: c, Period: "2026-11", Level: fmt.Sprintf("l%d", i), Condition: "BUDGET_50"}, fmt.Sprintf("%s/alerts/b%d", c, i)); err != nil {
						t.Errorf("raise %d: %v", i, err)
					}
				}()
			}
			wg2.Wait()
			var all []store.FeedEntry
			err := db.Read(ctx, func(tx *sqlstore.Tx) error {
				for _, c := range []string{"contracts/c1", "contracts/c2"} {
					got, err := store.AlertsAfter(ctx, tx, c, 0, 100)
					if err != nil {
						return err
					}
					all = append(all, got...)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int64]bool{}
			for _, e := range all {
				seen[e.Seq] = true
			}
			for s := int64(1); s <= 8; s++ {
				if !seen[s] {
					t.Errorf("cursor %d missing: %v", s, all)
				}
			}
			if len(all) != 8 {
				t.Errorf("%d alerts, want 8", len(all))
			}
			// c1 holds 1 + 4 (i = 0, 2, 4, 6); after its second, three remain.
			err = db.Read(ctx, func(tx *sqlstore.Tx) error {
				c1, err := store.AlertsAfter(ctx, tx, "contracts/c1", 0, 100)
				if err != nil {
					return err
				}
				if len(c1) != 5 {
					t.Fatalf("c1 has %d alerts, want 5", len(c1))
				}
				rest, err := store.AlertsAfter(ctx, tx, "contracts/c1", c1[1].Seq, 100)
				if err != nil {
					return err
				}
				if len(rest) != 3 || rest[0].Seq != c1[2].Seq {
					t.Errorf("after cursor %d: %v, want the last three of %v", c1[1].Seq, rest, c1)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLatestEventTime: the latest measurement of a level at or before a
// time, none for a level without any.
func TestLatestEventTime(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "monitoring", monitoring.Migrations())
			ctx := context.Background()
			t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			err := db.Write(ctx, func(tx *sqlstore.Tx) error {
				_, err := store.Save(ctx, tx, "contracts/c1", []evaluation.Stored{
					{Key: "asa", EventID: "e1", Time: t0.Add(time.Hour), Value: "10"},
					{Key: "asa", EventID: "e2", Time: t0.Add(5 * time.Hour), Value: "10"},
				}, t0, time.UTC)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Read(ctx, func(tx *sqlstore.Tx) error {
				for _, tc := range []struct {
					key  string
					at   time.Time
					want time.Time
					ok   bool
				}{
					{"asa", t0.Add(10 * time.Hour), t0.Add(5 * time.Hour), true},
					{"asa", t0.Add(3 * time.Hour), t0.Add(time.Hour), true},
					{"asa", t0, time.Time{}, false},
					{"csat", t0.Add(10 * time.Hour), time.Time{}, false},
				} {
					got, ok, err := store.LatestEventTime(ctx, tx, "contracts/c1", tc.key, tc.at)
					if err != nil {
						return err
					}
					if ok != tc.ok || !got.Equal(tc.want) {
						t.Errorf("%s at %s: %s %v, want %s %v", tc.key, tc.at, got, ok, tc.want, tc.ok)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
