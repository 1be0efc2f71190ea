package audit

import (
	"context"
	"encoding/base64"
	"time"

	auditv1 "github.com/acme/bpo/gen/go/bpo/audit/v1"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Metrics are the gauges and counters of the periodic verification, by
// service; one set per registry, shared by the services of a process.
type Metrics struct {
	intact, verifiedSequence, firstBroken, lastVerified *prometheus.GaugeVec
	verifications                                       *prometheus.CounterVec
}

// NewMetrics registers the audit verification metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"service"})
	}
	m := &Metrics{
		intact:           gauge("bpo_audit_chain_intact", "1 when the last verification found the service's audit log intact, 0 when broken."),
		verifiedSequence: gauge("bpo_audit_chain_verified_sequence", "The head of the audit log at the last verification that found it intact."),
		firstBroken:      gauge("bpo_audit_chain_first_broken_sequence", "The first event of the audit log that does not verify (0 when intact)."),
		lastVerified:     gauge("bpo_audit_chain_last_verification_timestamp_seconds", "When the audit log was last verified (intact or broken), in Unix seconds."),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bpo_audit_chain_verifications_total",
			Help: "Verifications of the audit log by result: intact, broken, or failed (the log could not be read).",
		}, []string{"service", "result"}),
	}
	for _, c := range []prometheus.Collector{m.intact, m.verifiedSequence, m.firstBroken, m.lastVerified, m.verifications} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Watch verifies c's log at once and then every every (only once when
// every is not positive), until ctx ends. Each run sets the metrics (m may
// be nil); a broken log is logged as an ERROR naming the first broken
// event, at every run; an intact log that grew is published as a signed
// checkpoint, one INFO line each.
//
// Watch keeps the last intact checkpoint and verifies against it, so a log
// cut short or rewritten while the server runs is caught even when every
// hash was recomputed. Once broken, the log stays reported broken: the
// remembered checkpoint is never replaced by one of a broken log.
func (c *Chain) Watch(ctx context.Context, every time.Duration, log *zap.Logger, m *Metrics) {
	log = log.With(zap.String("service", c.service))
	log.Info("audit log watched",
		zap.Int64("keyed_from", c.keyedFrom), zap.String("key_id", c.key.id),
		zap.String("public_key", base64.StdEncoding.EncodeToString(c.key.PublicKey())), zap.Duration("every", every))
	held := c.check(ctx, nil, log, m)
	if every <= 0 {
		return // verified once, at start
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			held = c.check(ctx, held, log, m)
		}
	}
}

// check verifies c's log against held and returns the checkpoint to hold
// next.
func (c *Chain) check(ctx context.Context, held *auditv1.AuditCheckpoint, log *zap.Logger, m *Metrics) *auditv1.AuditCheckpoint {
	v, err := c.Verify(ctx, held)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("audit log could not be verified", zap.Error(err))
			m.record(c.service, "failed", nil)
		}
		return held
	}
	if !v.GetIntact() {
		log.Error("audit log broken",
			zap.Int64("first_broken_sequence", v.GetFirstBrokenSequence()), zap.String("problem", v.GetProblem()),
			zap.Int64("events_checked", v.GetEventsChecked()))
		m.record(c.service, "broken", v)
		return held
	}
	m.record(c.service, "intact", v)
	cp := v.GetCheckpoint()
	if cp == nil || cp.GetSequence() == held.GetSequence() {
		return held
	}
	log.Info("audit checkpoint",
		zap.Int64("sequence", cp.GetSequence()), zap.String("hash", cp.GetHash()),
		zap.Time("time", cp.GetTime().AsTime()), zap.String("key_id", cp.GetKeyId()),
		zap.String("signature", base64.StdEncoding.EncodeToString(cp.GetSignature())))
	return cp
}

func (m *Metrics) record(service, result string, v *auditv1.Verification) {
	if m == nil {
		return
	}
	m.verifications.WithLabelValues(service, result).Inc()
	if v == nil {
		return
	}
	m.lastVerified.WithLabelValues(service).Set(float64(time.Now().UnixNano()) / 1e9)
	m.firstBroken.WithLabelValues(service).Set(float64(v.GetFirstBrokenSequence()))
	if v.GetIntact() {
		m.intact.WithLabelValues(service).Set(1)
		m.verifiedSequence.WithLabelValues(service).Set(float64(v.GetEventsChecked()))
	} else {
		m.intact.WithLabelValues(service).Set(0)
	}
}
