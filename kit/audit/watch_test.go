package audit

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// watched is a chain under Watch, every few milliseconds, with a real
// registry and the log lines kept.
type watched struct {
	m    *Metrics
	reg  *prometheus.Registry
	logs *observer.ObservedLogs
}

func watch(t *testing.T, c *Chain) *watched {
	t.Helper()
	w := &watched{reg: prometheus.NewRegistry()}
	var err error
	if w.m, err = NewMetrics(w.reg); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	w.logs = logs
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Watch(ctx, 5*time.Millisecond, zap.New(core), w.m)
	}()
	t.Cleanup(func() { cancel(); <-done }) // before the store closes
	return w
}

func (w *watched) gauge(t *testing.T, g *prometheus.GaugeVec) float64 {
	t.Helper()
	return testutil.ToFloat64(g.WithLabelValues("catalog"))
}

func (w *watched) runs(result string) float64 {
	return testutil.ToFloat64(w.m.verifications.WithLabelValues("catalog", result))
}

// waitRuns waits until n more verifications than now ended with result.
func (w *watched) waitRuns(t *testing.T, result string, n float64) {
	t.Helper()
	want := w.runs(result) + n
	deadline := time.Now().Add(10 * time.Second)
	for w.runs(result) < want {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %v %s verifications; %v so far", want, result, w.runs(result))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (w *watched) lines(msg string) []observer.LoggedEntry {
	return w.logs.FilterMessage(msg).All()
}

func TestWatchPublishesACheckpointEachTimeTheIntactLogGrew(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db, c := keyedLog(t, dialect)
			w := watch(t, c)
			w.waitRuns(t, "intact", 1)
			if got := w.gauge(t, w.m.intact); got != 1 {
				t.Errorf("bpo_audit_chain_intact = %v, want 1", got)
			}
			if got := w.gauge(t, w.m.verifiedSequence); got != 3 {
				t.Errorf("bpo_audit_chain_verified_sequence = %v, want 3", got)
			}
			if got := w.gauge(t, w.m.lastVerified); time.Since(time.Unix(int64(got), 0)) > time.Minute {
				t.Errorf("bpo_audit_chain_last_verification_timestamp_seconds = %v, want about now", got)
			}

			story(t, db)
			for w.gauge(t, w.m.verifiedSequence) != 6 {
				w.waitRuns(t, "intact", 1)
			}
			w.waitRuns(t, "intact", 3) // runs over a log that did not grow
			var published []int64
			for _, e := range w.lines("audit checkpoint") {
				f := e.ContextMap()
				if f["service"] != "catalog" || f["key_id"] != c.Key().ID() || f["signature"] == "" || len(f["hash"].(string)) != 64 {
					t.Errorf("checkpoint line %v lacks the service, key id, hash or signature", f)
				}
				published = append(published, f["sequence"].(int64))
			}
			// A run may fall between two events of the story, 4 or 5.
			if len(published) < 2 || published[0] != 3 || published[len(published)-1] != 6 ||
				!slices.IsSorted(published) || len(slices.Compact(slices.Clone(published))) != len(published) {
				t.Fatalf("checkpoints published for events %v; want 3 first, 6 last, each head once", published)
			}
			if len(w.lines("audit log watched")) != 1 {
				t.Fatalf("want one start line naming the key")
			}
		})
	}
}

func TestWatchRaisesTheAlarmWhileTheLogIsBrokenAndWritesGoOn(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db, c := keyedLog(t, dialect)
			w := watch(t, c)
			w.waitRuns(t, "intact", 1)

			dropTriggers(t, db)
			forgeAppend(t, db)
			w.waitRuns(t, "broken", 1)
			if got := w.gauge(t, w.m.intact); got != 0 {
				t.Errorf("bpo_audit_chain_intact = %v, want 0", got)
			}
			if got := w.gauge(t, w.m.firstBroken); got != 4 {
				t.Errorf("bpo_audit_chain_first_broken_sequence = %v, want 4", got)
			}
			errs := w.logs.FilterLevelExact(zapcore.ErrorLevel).All()
			if len(errs) == 0 || errs[0].Message != "audit log broken" || errs[0].ContextMap()["first_broken_sequence"] != int64(4) || errs[0].ContextMap()["service"] != "catalog" {
				t.Fatalf("error lines %v; want one naming catalog's event 4", errs)
			}

			// The service keeps writing; the alarm stays, at the same event.
			ctx := callCtx(t, createMethod, "ana", auth.SourcingManager)
			record(t, db, change{ctx, "providers/9", "", nil, obj(t, map[string]any{"display_name": "X"})})
			w.waitRuns(t, "broken", 2)
			if got := w.gauge(t, w.m.firstBroken); got != 4 {
				t.Errorf("after another write, bpo_audit_chain_first_broken_sequence = %v, want 4", got)
			}
			if got := w.gauge(t, w.m.verifiedSequence); got != 3 {
				t.Errorf("bpo_audit_chain_verified_sequence = %v, want 3, the last intact head", got)
			}
		})
	}
}

func TestWatchCatchesATruncationThatPutsBackAnOldHead(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "audit_test", nil)
			c := attach(t, db, newKey(t))
			x := obj(t, map[string]any{"display_name": "X"})
			ctx := callCtx(t, createMethod, "ana", auth.SourcingManager)
			record(t, db, change{ctx, "providers/1", "", nil, x}, change{ctx, "providers/2", "", nil, x})
			old := saveHead(t, db)
			record(t, db, change{ctx, "providers/3", "", nil, x})
			w := watch(t, c)
			w.waitRuns(t, "intact", 1)

			// Every hash and seal left is genuine; the checkpoint Watch
			// holds since its last run is not.
			dropTriggers(t, db)
			truncateToSavedHead(t, db, old)
			w.waitRuns(t, "broken", 1)
			if got := w.gauge(t, w.m.firstBroken); got != 3 {
				t.Fatalf("bpo_audit_chain_first_broken_sequence = %v, want 3", got)
			}
		})
	}
}

func TestWatchCountsAVerificationThatCouldNotRun(t *testing.T) {
	db := sqltest.Open(t, sqltest.SQLite, "audit_test", nil)
	c := attach(t, db, newKey(t))
	story(t, db)
	w := watch(t, c)
	w.waitRuns(t, "intact", 1)
	closeStore(t, db)
	w.waitRuns(t, "failed", 1)
	if got := w.gauge(t, w.m.intact); got != 1 {
		t.Errorf("bpo_audit_chain_intact = %v; a run that could not read the log says nothing about it, want 1 still", got)
	}
	if len(w.logs.FilterLevelExact(zapcore.WarnLevel).FilterMessage("audit log could not be verified").All()) == 0 {
		t.Fatal("no warning that the log could not be verified")
	}
}

func closeStore(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMetricsAreServedFromTheRegistry(t *testing.T) {
	_, c := keyedLog(t, sqltest.SQLite)
	w := watch(t, c)
	w.waitRuns(t, "intact", 1)
	n, err := testutil.GatherAndCount(w.reg,
		"bpo_audit_chain_intact", "bpo_audit_chain_verified_sequence", "bpo_audit_chain_first_broken_sequence",
		"bpo_audit_chain_last_verification_timestamp_seconds", "bpo_audit_chain_verifications_total")
	if err != nil || n != 5 {
		t.Fatalf("gathered %d audit series (%v); want 5, one of each for catalog", n, err)
	}
	if _, err := NewMetrics(w.reg); err == nil {
		t.Fatal("NewMetrics registered the metrics twice on one registry")
	}
}
