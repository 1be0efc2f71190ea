package audit

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	auditv1 "github.com/acme/bpo/gen/go/bpo/audit/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/sqlstore"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var zeroHash = strings.Repeat("0", 64)

// CheckpointOf returns the checkpoint a VerifyAuditLog request carries, nil
// when it carries none. Each service declares its own request message;
// reading the field through its getter keeps the four handlers alike, and a
// request message without the field verifies without a checkpoint.
func CheckpointOf(req any) *auditv1.AuditCheckpoint {
	if r, ok := req.(interface {
		GetCheckpoint() *auditv1.AuditCheckpoint
	}); ok {
		return r.GetCheckpoint()
	}
	return nil
}

// Verify re-computes the whole audit log of db in one snapshot and reports
// the first event that is missing or whose hash, predecessor or sequence
// does not match; on a log attached to its key (Attach), also a key marker
// or head that the key did not seal. Given held, a checkpoint the caller
// kept, the log must still hold that event with that hash. An intact, keyed
// log comes with a signed checkpoint of its head.
func Verify(ctx context.Context, db *sqlstore.DB, held *auditv1.AuditCheckpoint) (*auditv1.Verification, error) {
	return verify(ctx, db, sealingOf(db), held)
}

// Verify is Verify of c's log.
func (c *Chain) Verify(ctx context.Context, held *auditv1.AuditCheckpoint) (*auditv1.Verification, error) {
	return verify(ctx, c.db, c.sealing, held)
}

// head is the audit_head row.
type head struct {
	sequence, keyedFrom            int64
	hash, keyID, keySeal, headSeal string
}

// breaks keeps the earliest problem found.
type breaks struct {
	at      int64
	problem string
}

func (b *breaks) add(at int64, format string, args ...any) {
	if b.problem == "" || at < b.at {
		b.at, b.problem = at, fmt.Sprintf(format, args...)
	}
}

func verify(ctx context.Context, db *sqlstore.DB, s *sealing, held *auditv1.AuditCheckpoint) (*auditv1.Verification, error) {
	if err := s.checkHeld(held); err != nil {
		return nil, err
	}
	v := &auditv1.Verification{Intact: true, HeadHash: zeroHash}
	var last int64
	err := db.Read(ctx, func(tx *sqlstore.Tx) error {
		var h head
		if err := tx.QueryRow(ctx, `SELECT sequence, hash, keyed_from, key_id, key_seal, head_seal FROM audit_head WHERE id = 1`).
			Scan(&h.sequence, &h.hash, &h.keyedFrom, &h.keyID, &h.keySeal, &h.headSeal); err != nil {
			return err
		}
		if s == nil && h.keyID != "" {
			return apperr.New(apperr.FailedPrecondition, "the audit log is keyed with audit key %s, which this server has not loaded", h.keyID)
		}
		var b breaks
		markerAt, markerProblem := s.checkMarker(h)
		rows, err := tx.Query(ctx, `SELECT sequence, time, subject, roles, method, resource, request_id, before_json, after_json, previous_hash, hash FROM audit_events ORDER BY sequence`)
		if err != nil {
			return err
		}
		defer rows.Close()
		prev, want := zeroHash, int64(1)
		for b.problem == "" && rows.Next() {
			var r row
			if err := rows.Scan(&r.Sequence, &r.Time, &r.Subject, &r.Roles, &r.Method, &r.Resource, &r.RequestID, &r.Before, &r.After, &r.PreviousHash, &r.Hash); err != nil {
				return err
			}
			v.EventsChecked++
			if markerProblem != "" && r.Sequence >= markerAt {
				b.add(markerAt, "%s", markerProblem)
				markerProblem = ""
				break
			}
			switch {
			case r.Sequence == want+1:
				b.add(want, "event %d is missing", want)
			case r.Sequence == want+2:
				b.add(want, "events %d and %d are missing", want, want+1)
			case r.Sequence > want:
				b.add(want, "events %d to %d are missing", want, r.Sequence-1)
			case r.PreviousHash != prev:
				b.add(r.Sequence, "event %d does not follow event %d: it holds another hash as its predecessor's", r.Sequence, r.Sequence-1)
			case s.keyed(r.Sequence) && r.hash(s.key) != r.Hash:
				b.add(r.Sequence, "event %d was altered or forged: its hash is not the audit key's seal of its content", r.Sequence)
			case !s.keyed(r.Sequence) && r.hash(nil) != r.Hash:
				b.add(r.Sequence, "event %d was altered or forged: its hash does not match its content", r.Sequence)
			case held != nil && r.Sequence == held.GetSequence() && r.Hash != held.GetHash():
				b.add(r.Sequence, "event %d is not the one the checkpoint %s vouches for: the log was cut short or rewritten up to it", r.Sequence, describe(held))
			default:
				prev, want = r.Hash, want+1
				v.HeadHash = r.Hash
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		last = want - 1
		if markerProblem != "" {
			b.add(markerAt, "%s", markerProblem)
		}
		if b.problem == "" {
			switch {
			case h.sequence > last:
				b.add(last+1, "the log ends at event %d but %d were written", last, h.sequence)
			case h.sequence < last:
				b.add(h.sequence+1, "the log holds events after event %d, where its head says it ends", h.sequence)
			case h.hash != prev:
				b.add(max(last, 1), "the head of the log does not hold the hash of event %d", last)
			case held != nil && held.GetSequence() > last:
				b.add(last+1, "the log ends at event %d, but the checkpoint %s vouches for event %d: it was cut short", last, describe(held), held.GetSequence())
			}
		}
		if s != nil && h.headSeal != s.key.headSeal(h.sequence, h.hash) {
			if n, ok := strings.CutPrefix(h.headSeal, brokenSince); ok {
				at, _ := strconv.ParseInt(n, 10, 64)
				at = max(at, 1)
				b.add(at, "the head of the log was rewound or altered before event %d was written: events from %d on may have been removed or replaced", at, at)
			} else {
				b.add(h.sequence+1, "the head of the log (event %d) does not carry the audit key's seal: it was rewound or altered, and events after it may have been removed", h.sequence)
			}
		}
		if b.problem != "" {
			v.Intact, v.FirstBrokenSequence, v.Problem = false, b.at, b.problem
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify audit log: %w", err)
	}
	if s != nil {
		v.KeyedFrom, v.PublicKey = s.keyedFrom, s.key.PublicKey()
		if v.Intact && last > 0 {
			v.Checkpoint = s.sign(last, v.HeadHash, time.Now())
		}
	}
	return v, nil
}

// keyed reports whether event seq must carry the key's seal.
func (s *sealing) keyed(seq int64) bool { return s != nil && seq >= s.keyedFrom }

// checkMarker compares the database's key marker with what Attach settled;
// the problem, if any, is reported at the first keyed event, whose checks
// depend on it.
func (s *sealing) checkMarker(h head) (int64, string) {
	if s == nil {
		return 0, ""
	}
	if h.keyID != s.key.id || h.keyedFrom != s.keyedFrom || h.keySeal != s.key.markerSeal(s.keyedFrom) {
		return s.keyedFrom, fmt.Sprintf("the log's key marker was altered: events from %d on must carry the seal of audit key %s", s.keyedFrom, s.key.id)
	}
	return 0, ""
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkHeld refuses a checkpoint that cannot be one of this log's: the
// answer would otherwise call a sound log broken.
func (s *sealing) checkHeld(cp *auditv1.AuditCheckpoint) error {
	if cp == nil {
		return nil
	}
	if cp.GetSequence() < 1 {
		return apperr.Invalid(apperr.FieldViolation{Field: "checkpoint.sequence", Description: "must be at least 1"})
	}
	if !hexHash.MatchString(cp.GetHash()) {
		return apperr.Invalid(apperr.FieldViolation{Field: "checkpoint.hash", Description: "must be 64 lowercase hex digits"})
	}
	if s != nil && cp.GetService() != "" && cp.GetService() != s.service {
		return apperr.Invalid(apperr.FieldViolation{Field: "checkpoint.service", Description: fmt.Sprintf("the checkpoint is of the %s log; this is the %s log", cp.GetService(), s.service)})
	}
	if len(cp.GetSignature()) == 0 {
		return nil // the caller vouches for it
	}
	switch {
	case s == nil:
		return apperr.Invalid(apperr.FieldViolation{Field: "checkpoint.signature", Description: "this log has no audit key to check a signature with; give the checkpoint without one"})
	case cp.GetKeyId() != "" && cp.GetKeyId() != s.key.id:
		return apperr.Invalid(apperr.FieldViolation{Field: "checkpoint.key_id", Description: fmt.Sprintf("signed with audit key %s; this log's key is %s", cp.GetKeyId(), s.key.id)})
	case !ed25519.Verify(s.key.PublicKey(), checkpointText(cp), cp.GetSignature()):
		return apperr.Invalid(apperr.FieldViolation{Field: "checkpoint.signature", Description: "not a signature of this log's audit key over the checkpoint"})
	}
	return nil
}

// sign returns the signed checkpoint of event seq with hash at t.
func (s *sealing) sign(seq int64, hash string, t time.Time) *auditv1.AuditCheckpoint {
	cp := &auditv1.AuditCheckpoint{Service: s.service, Sequence: seq, Hash: hash, Time: timestamppb.New(t), KeyId: s.key.id}
	cp.Signature = ed25519.Sign(s.key.sign, checkpointText(cp))
	return cp
}

// checkpointText is what a checkpoint's signature covers, as the proto
// documents it for auditors who check signatures themselves.
func checkpointText(cp *auditv1.AuditCheckpoint) []byte {
	t := cp.GetTime()
	return fmt.Appendf(nil, "bpo.audit.v1.AuditCheckpoint\n%s\n%d\n%s\n%d.%09d\n", cp.GetService(), cp.GetSequence(), cp.GetHash(), t.GetSeconds(), t.GetNanos())
}

func describe(cp *auditv1.AuditCheckpoint) string {
	if cp.GetTime() == nil {
		return "given"
	}
	return "of " + cp.GetTime().AsTime().UTC().Format(time.RFC3339)
}
