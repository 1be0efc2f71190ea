// Package audit writes and checks a service's audit log: one record per
// mutation, written in the mutation's own transaction, append-only (the
// database refuses updates and deletes) and hash-chained, so that a gap or
// an edit is detectable. spec: conventions.md, "Audit".
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
// a deletion; only the top-level fields that differ are kept.
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
	if err := tx.QueryRow(ctx, `UPDATE audit_head SET sequence = sequence + 1 WHERE id = 1 RETURNING sequence, hash`).Scan(&e.Sequence, &e.PreviousHash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	e.Hash = e.hash()
	if _, err := tx.Exec(ctx, `INSERT INTO audit_events (sequence, time, subject, roles, method, resource, request_id, before_json, after_json, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Sequence, e.Time, e.Subject, e.Roles, e.Method, e.Resource, e.RequestID, e.Before, e.After, e.PreviousHash, e.Hash); err != nil {
		return fmt.Errorf("audit insert: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET hash = ? WHERE id = 1`, e.Hash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

// row is an audit event as stored.
type row struct {
	Sequence                                     int64
	Time, Subject, Roles, Method, Resource       string
	RequestID, Before, After, PreviousHash, Hash string
}

// hash is SHA-256 over every stored field, each length-prefixed so that no
// two different events encode alike.
func (r *row) hash() string {
	h := sha256.New()
	for _, f := range []string{strconv.FormatInt(r.Sequence, 10), r.Time, r.Subject, r.Roles, r.Method, r.Resource, r.RequestID, r.Before, r.After, r.PreviousHash} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
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

// Verify re-computes the whole chain in one snapshot and reports the first
// event whose hash, predecessor or sequence does not match.
func Verify(ctx context.Context, db *sqlstore.DB) (*auditv1.Verification, error) {
	v := &auditv1.Verification{Intact: true, HeadHash: strings.Repeat("0", 64)}
	err := db.Read(ctx, func(tx *sqlstore.Tx) error {
		rows, err := tx.Query(ctx, `SELECT sequence, time, subject, roles, method, resource, request_id, before_json, after_json, previous_hash, hash FROM audit_events ORDER BY sequence`)
		if err != nil {
			return err
		}
		defer rows.Close()
		prev := v.HeadHash
		var want int64 = 1
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.Sequence, &r.Time, &r.Subject, &r.Roles, &r.Method, &r.Resource, &r.RequestID, &r.Before, &r.After, &r.PreviousHash, &r.Hash); err != nil {
				return err
			}
			v.EventsChecked++
			problem := ""
			switch {
			case r.Sequence != want:
				problem = fmt.Sprintf("event %d is missing", want)
			case r.PreviousHash != prev:
				problem = fmt.Sprintf("event %d does not follow event %d", r.Sequence, r.Sequence-1)
			case r.hash() != r.Hash:
				problem = fmt.Sprintf("event %d was altered after it was written", r.Sequence)
			}
			if problem != "" {
				v.Intact, v.FirstBrokenSequence, v.Problem = false, r.Sequence, problem
				return nil
			}
			prev, want = r.Hash, want+1
			v.HeadHash = r.Hash
		}
		if err := rows.Err(); err != nil {
			return err
		}
		var headSeq int64
		var headHash string
		if err := tx.QueryRow(ctx, `SELECT sequence, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
			return err
		}
		if headSeq != want-1 || headHash != prev {
			v.Intact, v.FirstBrokenSequence = false, want
			v.Problem = fmt.Sprintf("the log ends at event %d but %d were written", want-1, headSeq)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify audit log: %w", err)
	}
	return v, nil
}
