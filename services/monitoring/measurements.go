package monitoring

import (
	"context"
	"errors"
	"io"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/grpcserver"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/opsmetrics"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"github.com/acme/bpo/services/monitoring/store"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
)

// maxRejections bounds the rejections an IngestMeasurements answer lists.
const maxRejections = 1000

// BatchCreateMeasurements implements monitoringv1.MonitoringServiceServer.
func (s *Server) BatchCreateMeasurements(ctx context.Context, req *monitoringv1.BatchCreateMeasurementsRequest) (*monitoringv1.BatchCreateMeasurementsResponse, error) {
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	t, err := s.reportable(ctx, parent)
	if err != nil {
		return nil, err
	}
	return s.storeBatch(ctx, t, req.GetMeasurements())
}

// IngestMeasurements implements monitoringv1.MonitoringServiceServer. Each
// message is stored in its own transaction before the next is read, so a
// message the server has read past is durable; the kit's stream
// interceptor validates each message as it is received.
func (s *Server) IngestMeasurements(stream grpc.ClientStreamingServer[monitoringv1.IngestMeasurementsRequest, monitoringv1.IngestMeasurementsResponse]) error {
	ctx := stream.Context()
	out := &monitoringv1.IngestMeasurementsResponse{}
	// The contract is read once per parent and stream: its service levels
	// and commencement do not change while the provider's system streams.
	contracts := map[contractv1.ContractResourceName]*terms{}
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(out)
		}
		if err != nil {
			return err
		}
		parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
		if err != nil {
			return err
		}
		t, ok := contracts[parent]
		if !ok {
			if t, err = s.reportable(ctx, parent); err != nil {
				return err
			}
			contracts[parent] = t
		}
		b, err := s.storeBatch(ctx, t, req.GetMeasurements())
		if err != nil {
			return err
		}
		out.Accepted += b.GetAccepted()
		out.Duplicates += b.GetDuplicates()
		out.Rejected += b.GetRejected()
		for _, r := range b.GetResults() {
			if len(out.Rejections) == maxRejections {
				break
			}
			if r.GetOutcome() == monitoringv1.MeasurementOutcome_MEASUREMENT_OUTCOME_REJECTED {
				out.Rejections = append(out.Rejections, r)
			}
		}
	}
}

// reportable returns the terms of a contract the caller may report
// measurements for: only users of the contracted provider (spec:
// monitoring.md "Measurements"; admins pass, as everywhere), and only once
// service has commenced.
func (s *Server) reportable(ctx context.Context, name contractv1.ContractResourceName) (*terms, error) {
	c, err := s.readContract(ctx, name)
	if err != nil {
		return nil, err
	}
	if caller := auth.FromContext(ctx); !caller.Has(auth.Admin) && caller.Provider != c.GetProvider() {
		return nil, apperr.New(apperr.PermissionDenied, "only users of the contracted provider (%s) may report measurements for %s", c.GetProvider(), name)
	}
	// An ended (expired or terminated) contract still takes late
	// measurements of its service until its last period closes (the
	// intake refuses those after the last day of service and those of
	// closed periods: month-end, periods.go).
	switch st := c.GetState(); st {
	case contractv1.ContractState_CONTRACT_STATE_SIGNED, contractv1.ContractState_CONTRACT_STATE_ACTIVE, contractv1.ContractState_CONTRACT_STATE_EXPIRED, contractv1.ContractState_CONTRACT_STATE_TERMINATED:
	default:
		if c.GetServiceCommencementDate() != nil {
			return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: measurements are accepted only while the contract is signed and live", name, protoenum.Short(st))
		}
	}
	return commenced(name, c, "measurements are accepted")
}

// storeBatch checks each measurement, stores the accepted ones in one
// transaction with the batch's audit record, and answers per item in
// request order. Nothing of a batch is half-stored. A batch racing another
// with the same event ids needs no retry: store.Save decides each item
// from what its insert did.
func (s *Server) storeBatch(ctx context.Context, t *terms, in []*monitoringv1.Measurement) (*monitoringv1.BatchCreateMeasurementsResponse, error) {
	// A period that closes between the intake and the write sends the
	// batch round again, to be checked against it (periods.go).
	for range 3 {
		resp, err := s.storeBatchOnce(ctx, t, in)
		if !errors.Is(err, errClosedMeanwhile) {
			return resp, err
		}
	}
	return nil, apperr.New(apperr.Aborted, "periods of %s kept closing while the batch was stored; send it again", t.name)
}

func (s *Server) storeBatchOnce(ctx context.Context, t *terms, in []*monitoringv1.Measurement) (*monitoringv1.BatchCreateMeasurementsResponse, error) {
	name := t.name.String()
	intake := evaluation.NewIntake(t.contract.GetServiceLevels(), t.commencement, s.now())
	seen, err := s.monthEndIntake(ctx, t, intake) // periods.go
	if err != nil {
		return nil, err
	}
	resp := &monitoringv1.BatchCreateMeasurementsResponse{Results: make([]*monitoringv1.MeasurementResult, len(in))}
	var (
		candidates []evaluation.Stored
		index      []int // candidates[j] is in[index[j]]
	)
	for i, m := range in {
		resp.Results[i] = &monitoringv1.MeasurementResult{EventId: m.GetEventId(), ServiceLevelKey: m.GetServiceLevelKey()}
		var (
			st     evaluation.Stored
			reason string
		)
		if err := m.GetEventTime().CheckValid(); err != nil {
			reason = "event_time is missing or not a valid timestamp"
		} else if o := m.GetOutage(); o != nil && (o.GetStartTime().CheckValid() != nil || o.GetEndTime().CheckValid() != nil) {
			reason = "the outage's start_time and end_time must both be valid timestamps"
		} else {
			in := evaluation.Measurement{
				Key: m.GetServiceLevelKey(), EventID: m.GetEventId(), Time: m.GetEventTime().AsTime(), Value: m.GetValue(),
			}
			if m.Denominator != nil {
				d := m.GetDenominator()
				in.Denominator = &d
			}
			if o := m.GetOutage(); o != nil {
				in.Outage = &evaluation.Interval{Start: o.GetStartTime().AsTime(), End: o.GetEndTime().AsTime()}
			}
			st, reason = intake.Check(in)
		}
		if reason != "" {
			reject(resp, i, reason)
			continue
		}
		candidates = append(candidates, st)
		index = append(index, i)
	}
	// Committed with the batches that arrive meanwhile (store.Writer).
	err = store.WriterOf(s.db).Write(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
		if err := stillClosed(ctx, tx, t.name, seen); err != nil {
			return err
		}
		fates, err := store.Save(ctx, tx, name, candidates, s.now(), t.loc)
		if err != nil {
			return err
		}
		for j, f := range fates {
			i := index[j]
			switch f {
			case store.Accepted:
				resp.Results[i].Outcome = monitoringv1.MeasurementOutcome_MEASUREMENT_OUTCOME_ACCEPTED
				resp.Accepted++
			case store.Duplicate:
				resp.Results[i].Outcome = monitoringv1.MeasurementOutcome_MEASUREMENT_OUTCOME_DUPLICATE
				resp.Duplicates++
			case store.Conflict:
				reject(resp, i, "event_id "+in[i].GetEventId()+" was already reported with a different time or value (or denominator or outage); a correction needs a new event_id")
			}
		}
		// One audit record per batch, not per measurement: the audit chain
		// serialises its writers, so a record per measurement would make it
		// the bottleneck of ingestion and multiply the log by millions of
		// rows a month, while the measurements themselves are append-only
		// rows named by their event ids. The record says who reported how
		// many, when, and through which method.
		counts, err := structpb.NewStruct(map[string]any{
			"submitted":  len(in),
			"accepted":   resp.Accepted,
			"duplicates": resp.Duplicates,
			"rejected":   resp.Rejected,
		})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, measurementsOf(t.name), grpcserver.RequestID(ctx), nil, counts)
	})
	if err != nil {
		return nil, err
	}
	opsmetrics.Measurements(resp.Accepted, resp.Duplicates, resp.Rejected)
	s.alertsAfterIngest(ctx, t, candidates) // early warning, after the commit (alerts.go)
	return resp, nil
}

func reject(resp *monitoringv1.BatchCreateMeasurementsResponse, i int, reason string) {
	resp.Results[i].Outcome = monitoringv1.MeasurementOutcome_MEASUREMENT_OUTCOME_REJECTED
	resp.Results[i].Reason = reason
	resp.Rejected++
}
