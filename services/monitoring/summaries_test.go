package monitoring_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// An open period is evaluated from the summaries kept as measurements
// arrive; closing it recomputes the statement from the measurements
// themselves (services/monitoring/README.md, "Speed"). Both must agree to
// the cent: random measurements of both levels over the month, sent in
// random batches with re-sent duplicates, with an approved exclusion cut
// through a random stretch of a day, evaluated open and then closed —
// every level's value, outcome and measurements used, and every
// statement line's amount and words, the same.
func TestOpenEvaluationEqualsClosedStatement(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 1))
		l := liveContract(t, e)
		c := l.Contract.GetName()
		prov := e.AsProvider(t, l.Provider)
		gm := e.AsRole(t, auth.GovernanceManager)
		period := c + "/periods/" + l.period

		month := l.cur.Sub(l.prev)
		var ms []*monitoringv1.Measurement
		for i := range 1500 {
			at := l.prev.Add(time.Duration(rng.Int64N(int64(month))))
			ms = append(ms,
				m(testenv.LevelASA, fmt.Sprintf("asa-%d", i), at, float64(rng.IntN(4000))/100),
				m(testenv.LevelAHT, fmt.Sprintf("aht-%d", i), at, float64(120+rng.IntN(400))+float64(rng.IntN(4))/4))
		}
		rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		for i := 0; i < len(ms); {
			n := 1 + rng.IntN(400)
			batch := ms[i:min(i+n, len(ms))]
			if i > 0 {
				batch = append(batch[:len(batch):len(batch)], ms[rng.IntN(i)]) // a re-send
			}
			if _, err := e.Monitoring.BatchCreateMeasurements(prov, &monitoringv1.BatchCreateMeasurementsRequest{Parent: c, Measurements: batch}); err != nil {
				t.Fatal(err)
			}
			i += n
		}
		from := l.prev.AddDate(0, 0, rng.IntN(27)).Add(time.Duration(rng.Int64N(int64(20 * time.Hour))))
		ex, err := e.Monitoring.CreateExclusion(prov, &monitoringv1.CreateExclusionRequest{Parent: c, Exclusion: &monitoringv1.Exclusion{
			Kind: monitoringv1.ExclusionKind_EXCLUSION_KIND_MAINTENANCE, ServiceLevelKeys: []string{testenv.LevelASA, testenv.LevelAHT},
			StartTime: timestamppb.New(from), EndTime: timestamppb.New(from.Add(time.Duration(1+rng.IntN(36)) * time.Hour)), Reason: "planned maintenance",
		}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Monitoring.ApproveExclusion(gm, &monitoringv1.ApproveExclusionRequest{Name: ex.GetName()}); err != nil {
			t.Fatal(err)
		}

		open, err := e.Monitoring.EvaluatePeriod(gm, &monitoringv1.EvaluatePeriodRequest{Name: period})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: period, RequestId: "close"}); err != nil {
			t.Fatal(err)
		}
		closed, err := e.Monitoring.EvaluatePeriod(gm, &monitoringv1.EvaluatePeriodRequest{Name: period})
		if err != nil {
			t.Fatal(err)
		}
		if !open.GetProvisional() || closed.GetProvisional() {
			t.Fatalf("provisional: open %v, closed %v", open.GetProvisional(), closed.GetProvisional())
		}
		// The closed statement does not call itself provisional (it did).
		for _, line := range closed.GetExplanation() {
			if strings.Contains(line, "Provisional") {
				t.Errorf("closed statement explains: %s", line)
			}
		}
		for _, f := range []struct {
			name      string
			open, got proto.Message
		}{
			{"charges", open.GetCharges(), closed.GetCharges()},
			{"credits", open.GetCredits(), closed.GetCredits()},
			{"net", open.GetNet(), closed.GetNet()},
			{"at risk", open.GetAtRiskAmount(), closed.GetAtRiskAmount()},
		} {
			if !proto.Equal(f.open, f.got) {
				t.Errorf("%s: open %v, closed %v", f.name, f.open, f.got)
			}
		}
		if len(open.GetResults()) != 2 || len(open.GetResults()) != len(closed.GetResults()) || len(open.GetLines()) != len(closed.GetLines()) {
			t.Fatalf("open: %d results, %d lines; closed: %d results, %d lines", len(open.GetResults()), len(open.GetLines()), len(closed.GetResults()), len(closed.GetLines()))
		}
		for i, r := range open.GetResults() {
			if !proto.Equal(r, closed.GetResults()[i]) {
				t.Errorf("result %d: open %v, closed %v", i, r, closed.GetResults()[i])
			}
			if r.GetMeasurementsUsed() < 1000 {
				t.Errorf("result %s used %d measurements: the test tests little", r.GetKey(), r.GetMeasurementsUsed())
			}
		}
		for i, line := range open.GetLines() {
			if !proto.Equal(line, closed.GetLines()[i]) {
				t.Errorf("line %d: open %v, closed %v", i, line, closed.GetLines()[i])
			}
		}
		if len(open.GetExclusions()) == 0 || !proto.Equal(open.GetExclusions()[0], closed.GetExclusions()[0]) {
			t.Errorf("exclusions applied: open %v, closed %v", open.GetExclusions(), closed.GetExclusions())
		}
	})
}
