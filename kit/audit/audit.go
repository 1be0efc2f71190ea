// Package audit writes and checks a service's audit log: one record per
// mutation, written in the mutation's own transaction, append-only (the
// database refuses updates and deletes) and hash-chained, so that a gap or
// an edit is detectable. spec: conventions.md, "Audit".
//
// # Whom the log stands up to
//
// Someone who can write the database: drop the append-only triggers, edit,
// delete and insert rows, and recompute any hash whose recipe is public;
// but who holds neither the audit key nor the server's log stream nor the
// checkpoints an auditor keeps. Against such a person plain SHA-256 guarded
// only against careless edits: truncating the tail, appending a forged
// event and rewriting history each verified as intact
// (reliability-security report, F3). Hence a key, and checkpoints.
//
// # The keyed chain
//
// Each event's hash is an HMAC-SHA256, with the audit key, over its fields
// and its predecessor's hash. The key is derived from a secret kept outside
// the database, the way the token key is: the file KeyFile
// (`audit-hmac.key`, owner-only) in the data directory, created on the
// first start (written whole or not at all: LoadOrCreateKey), or a file
// given to the server (ReadKeyFile), e.g. a mounted secret. Without the
// key an edited or forged event cannot be given a hash that verifies, so
// an edit, a forged append or a rewritten history is reported at the first
// event touched.
//
// The head row (audit_head: the last sequence and hash, which serialises
// writers) carries a seal too, the key's MAC of that sequence and hash, so
// a tail cut off with the head rewound to an earlier event is detected.
//
// A server starts the key's use with Attach, once per store, after the
// migrations: the log records from which event it is keyed and with which
// key (keyed_from and key_id, under a seal of their own, so they can be
// neither moved nor dropped unnoticed). A log written before keys, or a
// new one, is keyed from its next event. The events before stay checkable
// as plain SHA-256, and the first keyed event, whose seal covers the hash
// of the last of them, anchors them: a rewrite of that history shows at
// the first keyed event. A log keyed with another key is refused at start:
// events written with the wrong key could never be verified.
//
// Record is called from some fifty places with a transaction only, which
// does not know its database. It therefore finds its key by the key ID
// the head names, among the keys Attach loaded in the process. A log that
// names a key the process lacks is not written at all (a write that
// cannot be sealed is refused), and a log without a key is written
// unkeyed as before. Verify, called by the handlers with the store, finds
// what Attach settled for that store (service, key, keyed_from); it trusts
// that, not the database's marker.
//
// # Checkpoints
//
// A checkpoint says that event N of a service's log had hash H at time T,
// signed with an Ed25519 key derived from the same secret. Ed25519 rather
// than the HMAC key: whoever checks a checkpoint then needs only the
// public key (Key.PublicKey, in every Verification and in the log line
// that starts Watch), which lets them check but not make one; handing out
// the HMAC key would let every auditor forge the whole log. The signed text
// is documented on bpo.audit.v1.AuditCheckpoint.
//
// Checkpoints leave the database: Watch publishes one in the server's log
// (an INFO line "audit checkpoint") each time it finds the log intact and
// longer, and every intact VerifyAuditLog answer carries one. Given back
// to VerifyAuditLog, the log must still hold event N with hash H. That
// catches what nothing inside the database can: a tail cut off with an
// earlier head row put back, seal and all, from a copy; or the key marker
// removed while the server was down, the whole log rehashed without a key,
// and the next start taking it for a log written before keys.
//
// # Periodic verification and the alarm
//
// Watch verifies the whole log in one snapshot every few minutes and sets
// the metrics bpo_audit_chain_intact{service} (1 or 0),
// bpo_audit_chain_first_broken_sequence, bpo_audit_chain_verified_sequence
// (the head at the last intact run), bpo_audit_chain_verifications_total
// {service,result} and bpo_audit_chain_last_verification_timestamp_seconds
// (alert when it lags). A broken log is logged as an ERROR naming the first
// broken event and the problem, at every run until it is dealt with. Watch
// also verifies against the last checkpoint it published, so a log cut
// short or rewritten while the server runs is caught even when every hash
// and seal left is genuine (across a restart, the checkpoints in the log
// stream do that).
//
// Writes continue on a broken log. Refusing them would hand whoever can
// edit one row the power to stop contracts, measurements and approvals,
// and would lose the audit records of the changes made meanwhile; the
// break is an incident for people, raised by the metric and the log. What
// is written after a break never heals it: an altered event keeps its bad
// hash, so the break stays reported where it is; a head found without a
// valid seal is not sealed again, but marked broken since the event after
// it, and Watch keeps verifying against the checkpoint it held before the
// break.
//
// A broken log is reported at the first event that is missing or does not
// verify: a deleted event 7 at 7.
//
// Verification reads the whole log each time. A lost key cannot be
// replaced: the events it sealed verify with it only. Back it up apart
// from the database, since a backup holding both gives the attacker the
// key.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	auditv1 "github.com/acme/bpo/gen/go/bpo/audit/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Record appends the audit record of a change to resource in tx: the caller
// and method come from ctx, before is nil for a creation and after nil for
// a deletion; only the top-level fields that differ are kept. On a keyed
// log the event is sealed with the key the log names, which Attach must
// have loaded in this process; without it Record fails rather than write
// an event nobody could verify.
func Record(ctx context.Context, tx *sqlstore.Tx, resource, requestID string, before, after proto.Message) error {
	b, a, err := changedFields(before, after)
	if err != nil {
		return fmt.Errorf("audit %s: %w", resource, err)
	}
	p := auth.FromContext(ctx)
	method, _ := grpc.Method(ctx)
	e := row{
		Time:      sqlstore.Time(time.Now()),
		Method:    method,
		Resource:  resource,
		RequestID: requestID,
		Before:    b,
		After:     a,
	}
	if p != nil {
		e.Subject = p.Subject
		e.Roles = strings.Join(p.RoleNames(), ",")
	}
	// Taking the head row first locks it to the end of the transaction, so
	// concurrent writers append one after the other.
	var keyID, headSeal string
	if err := tx.QueryRow(ctx, `UPDATE audit_head SET sequence = sequence + 1 WHERE id = 1 RETURNING sequence, hash, key_id, head_seal`).
		Scan(&e.Sequence, &e.PreviousHash, &keyID, &headSeal); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	var key *Key
	if keyID != "" {
		if key = loadedKey(keyID); key == nil {
			return fmt.Errorf("audit: the log is keyed with audit key %s, which this process has not loaded (audit.Attach)", keyID)
		}
	}
	e.Hash = e.hash(key)
	if key != nil {
		headSeal = key.nextHeadSeal(headSeal, e.Sequence-1, e.PreviousHash, e.Sequence, e.Hash)
	}
	args := []any{e.Sequence, e.Time, e.Subject, e.Roles, e.Method, e.Resource, e.RequestID, e.Before, e.After, e.PreviousHash, e.Hash}
	if tx.Dialect() == sqlstore.Postgres {
		// The event and the head's new hash and seal in one statement: one
		// round trip fewer while this transaction holds the head row, for
		// which every other writer of the log waits. Both or neither, as
		// before: the statement and the transaction are atomic.
		if _, err := tx.Exec(ctx, appendEvent, append(args, e.Hash, headSeal)...); err != nil {
			return fmt.Errorf("audit append: %w", err)
		}
		return nil
	}
	if _, err := tx.Exec(ctx, insertEvent, args...); err != nil {
		return fmt.Errorf("audit insert: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET hash = ?, head_seal = ? WHERE id = 1`, e.Hash, headSeal); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

const (
	insertEvent = `INSERT INTO audit_events (sequence, time, subject, roles, method, resource, request_id, before_json, after_json, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// appendEvent is insertEvent and the head's update as one PostgreSQL
	// statement (a data-modifying WITH; SQLite has none, and its
	// statements cost no round trip).
	appendEvent = `WITH event AS (` + insertEvent + `) UPDATE audit_head SET hash = ?, head_seal = ? WHERE id = 1`
)

// row is an audit event as stored.
type row struct {
	Sequence                                     int64
	Time, Subject, Roles, Method, Resource       string
	RequestID, Before, After, PreviousHash, Hash string
}

// hash is the HMAC-SHA256 with key (plain SHA-256 without one) over every
// stored field.
func (r *row) hash(key *Key) string {
	fields := []string{strconv.FormatInt(r.Sequence, 10), r.Time, r.Subject, r.Roles, r.Method, r.Resource, r.RequestID, r.Before, r.After, r.PreviousHash}
	if key != nil {
		return key.mac(fields...)
	}
	h := sha256.New()
	writeFields(h, fields)
	return hex.EncodeToString(h.Sum(nil))
}

// writeFields writes each field length-prefixed, so that no two different
// lists encode alike.
func writeFields(w io.Writer, fields []string) {
	for _, f := range fields {
		fmt.Fprintf(w, "%d:%s;", len(f), f)
	}
}

// changedFields returns the JSON objects of the top-level fields that differ
// between before and after ("{}" for a missing side).
func changedFields(before, after proto.Message) (string, string, error) {
	bm, err := toMap(before)
	if err != nil {
		return "", "", err
	}
	am, err := toMap(after)
	if err != nil {
		return "", "", err
	}
	for k, v := range bm {
		if av, ok := am[k]; ok && reflect.DeepEqual(v, av) {
			delete(bm, k)
			delete(am, k)
		}
	}
	bj, err := json.Marshal(bm) // encoding/json sorts keys: stable text
	if err != nil {
		return "", "", err
	}
	aj, err := json.Marshal(am)
	return string(bj), string(aj), err
}

func toMap(m proto.Message) (map[string]any, error) {
	out := map[string]any{}
	if m == nil || reflect.ValueOf(m).IsNil() {
		return out, nil
	}
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	return out, json.Unmarshal(b, &out)
}

// FilterFields are the fields ListAuditEvents filters on.
var FilterFields = []string{"resource", "subject", "method", "request_id"}

// List returns up to pageSize events after the page token, by sequence.
func List(ctx context.Context, db *sqlstore.DB, filter, pageToken string, pageSize int32) ([]*auditv1.AuditEvent, string, error) {
	terms, err := listing.ParseFilter(filter, FilterFields...)
	if err != nil {
		return nil, "", err
	}
	after, err := listing.DecodePageToken(pageToken, filter)
	if err != nil {
		return nil, "", err
	}
	var afterSeq int64
	if after != "" {
		if afterSeq, err = strconv.ParseInt(after, 10, 64); err != nil {
			return nil, "", apperr.Invalid(apperr.FieldViolation{Field: "page_token", Description: "malformed page token"})
		}
	}
	q := `SELECT sequence, time, subject, roles, method, resource, request_id, before_json, after_json, previous_hash, hash FROM audit_events WHERE sequence > ?`
	args := []any{afterSeq}
	for _, t := range terms {
		// Column names come from FilterFields, never from the caller.
		q += " AND " + t.Field + map[listing.Op]string{listing.Equal: " = ?", listing.NotEqual: " <> ?"}[t.Op]
		args = append(args, t.Value)
	}
	limit := listing.PageSize(pageSize)
	q += " ORDER BY sequence LIMIT " + strconv.Itoa(limit+1)
	var out []*auditv1.AuditEvent
	err = db.Read(ctx, func(tx *sqlstore.Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.Sequence, &r.Time, &r.Subject, &r.Roles, &r.Method, &r.Resource, &r.RequestID, &r.Before, &r.After, &r.PreviousHash, &r.Hash); err != nil {
				return err
			}
			e, err := r.proto()
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", fmt.Errorf("list audit events: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = listing.EncodePageToken(strconv.FormatInt(out[limit-1].GetSequence(), 10), filter)
	}
	return out, next, nil
}

func (r *row) proto() (*auditv1.AuditEvent, error) {
	t, err := sqlstore.ParseTime(r.Time)
	if err != nil {
		return nil, err
	}
	e := &auditv1.AuditEvent{
		Sequence: r.Sequence, Time: timestamppb.New(t), Subject: r.Subject, Method: r.Method,
		Resource: r.Resource, RequestId: r.RequestID, PreviousHash: r.PreviousHash, Hash: r.Hash,
	}
	if r.Roles != "" {
		e.Roles = strings.Split(r.Roles, ",")
	}
	for _, side := range []struct {
		src string
		dst **structpb.Struct
	}{{r.Before, &e.Before}, {r.After, &e.After}} {
		if side.src == "{}" {
			continue
		}
		s := &structpb.Struct{}
		if err := protojson.Unmarshal([]byte(side.src), s); err != nil {
			return nil, err
		}
		*side.dst = s
	}
	return e, nil
}
