package monitoring_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
)

// TestOverlappingBatchesAtOnceAreAllAnswered is the report's F2 race: 20
// batches of 500 event ids sent at the same moment, each window 25 ids
// after the previous one, so that most ids are in several batches. Re-sending
// an event id is a no-op by the spec, so every call is answered, each of the
// 19 × 25 + 500 = 975 distinct ids is accepted by exactly one batch and
// reported as a duplicate by every other batch that holds it, and 975 rows
// are stored. spec: monitoring.md "Measurements"; issue 7 item 2. Each
// call reads the contract first, which spreads the batches' arrival; the
// stream test below makes them meet in the store more tightly.
func TestOverlappingBatchesAtOnceAreAllAnswered(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := liveContract(t, e)
		p := e.AsProvider(t, l.Provider)
		at := l.prev.AddDate(0, 0, 1)
		const batches, size, shift = 20, 500, 25
		responses := make([]*monitoringv1.BatchCreateMeasurementsResponse, batches)
		errs := make([]error, batches)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for c := range batches {
			batch := make([]*monitoringv1.Measurement, size)
			for i := range size {
				batch[i] = m(testenv.LevelASA, fmt.Sprintf("ov-%04d", c*shift+i), at, 4)
			}
			wg.Go(func() {
				<-start
				responses[c], errs[c] = e.Monitoring.BatchCreateMeasurements(p, &monitoringv1.BatchCreateMeasurementsRequest{Parent: l.Contract.GetName(), Measurements: batch})
			})
		}
		close(start)
		wg.Wait()

		acceptedBy := map[string]int{}
		var accepted int64
		for c, resp := range responses {
			if errs[c] != nil {
				t.Errorf("batch %d: %v, want every batch answered", c, errs[c])
				continue
			}
			if resp.GetAccepted()+resp.GetDuplicates() != size || resp.GetRejected() != 0 {
				t.Errorf("batch %d: %d accepted, %d duplicates, %d rejected; want 500 accepted or duplicate", c, resp.GetAccepted(), resp.GetDuplicates(), resp.GetRejected())
			}
			accepted += resp.GetAccepted()
			for _, r := range resp.GetResults() {
				if r.GetOutcome() == monitoringv1.MeasurementOutcome_MEASUREMENT_OUTCOME_ACCEPTED {
					acceptedBy[r.GetEventId()]++
				}
			}
		}
		const distinct = (batches-1)*shift + size // 975
		if accepted != distinct || len(acceptedBy) != distinct {
			t.Errorf("%d items accepted, %d distinct ids accepted; want %d of each", accepted, len(acceptedBy), distinct)
		}
		for id, n := range acceptedBy {
			if n != 1 {
				t.Errorf("%s accepted by %d batches, want 1", id, n)
			}
		}
		// Every stored row is one measurement of the period: the ASA's
		// evaluation counts them.
		ev, err := e.Monitoring.EvaluatePeriod(e.AsRole(t, auth.GovernanceManager), &monitoringv1.EvaluatePeriodRequest{Name: l.Contract.GetName() + "/periods/" + l.period})
		if err != nil {
			t.Fatal(err)
		}
		if got := level(t, ev, testenv.LevelASA).GetMeasurementsUsed(); got != distinct {
			t.Errorf("%d rows stored, want %d (the items answered ACCEPTED)", got, distinct)
		}
	})
}

// TestOverlappingStreamsAtOnceAreAllAnswered is the same race through
// IngestMeasurements, where the contract is read once per stream: each
// stream first sends one measurement of its own, so that by the time the
// overlapping batches follow, every stream has read its contract and the
// batches meet in the store at nearly the same moment.
func TestOverlappingStreamsAtOnceAreAllAnswered(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := liveContract(t, e)
		p := e.AsProvider(t, l.Provider)
		at := l.prev.AddDate(0, 0, 1)
		const streams, size, shift = 20, 500, 25
		sums := make([]*monitoringv1.IngestMeasurementsResponse, streams)
		errs := make([]error, streams)
		var warm, done sync.WaitGroup
		release := make(chan struct{})
		for c := range streams {
			warm.Add(1)
			done.Go(func() {
				stream, err := e.Monitoring.IngestMeasurements(p)
				if err == nil {
					err = stream.Send(&monitoringv1.IngestMeasurementsRequest{Parent: l.Contract.GetName(), Measurements: []*monitoringv1.Measurement{m(testenv.LevelASA, fmt.Sprintf("warm-%02d", c), at, 4)}})
				}
				warm.Done()
				if err != nil {
					errs[c] = err
					return
				}
				<-release
				batch := make([]*monitoringv1.Measurement, size)
				for i := range size {
					batch[i] = m(testenv.LevelASA, fmt.Sprintf("ov-%04d", c*shift+i), at, 4)
				}
				if err := stream.Send(&monitoringv1.IngestMeasurementsRequest{Parent: l.Contract.GetName(), Measurements: batch}); err != nil {
					errs[c] = err
					return
				}
				sums[c], errs[c] = stream.CloseAndRecv()
			})
		}
		warm.Wait()
		time.Sleep(time.Second) // the warm-up messages are read and stored
		close(release)
		done.Wait()

		var accepted int64
		for c, sum := range sums {
			if errs[c] != nil {
				t.Errorf("stream %d: %v, want it answered", c, errs[c])
				continue
			}
			if sum.GetAccepted()+sum.GetDuplicates() != size+1 || sum.GetRejected() != 0 {
				t.Errorf("stream %d: %d accepted, %d duplicates, %d rejected; want 501 accepted or duplicate", c, sum.GetAccepted(), sum.GetDuplicates(), sum.GetRejected())
			}
			accepted += sum.GetAccepted()
		}
		const distinct = streams + (streams-1)*shift + size // 20 warm-ups and 975 ids
		if accepted != distinct {
			t.Errorf("%d accepted in all, want %d", accepted, distinct)
		}
		ev, err := e.Monitoring.EvaluatePeriod(e.AsRole(t, auth.GovernanceManager), &monitoringv1.EvaluatePeriodRequest{Name: l.Contract.GetName() + "/periods/" + l.period})
		if err != nil {
			t.Fatal(err)
		}
		if got := level(t, ev, testenv.LevelASA).GetMeasurementsUsed(); got != distinct {
			t.Errorf("%d rows stored, want %d (the items answered ACCEPTED)", got, distinct)
		}
	})
}
