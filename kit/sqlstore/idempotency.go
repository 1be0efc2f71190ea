package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/protobuf/proto"
)

// Idempotent runs fn in one write transaction and remembers its answer under
// (method, requestID), in the same transaction: a retry with the same
// request id returns the first answer instead of acting twice (AIP-155).
// A request id reused for a different request (another payload or another
// caller) is refused. Without a request id, fn simply runs in a transaction.
// Only answers are remembered: a call that failed acted on nothing, and its
// retry runs fn again.
func Idempotent[T proto.Message](ctx context.Context, db *DB, method, requestID, subject string, req proto.Message, fn func(*Tx) (T, error)) (T, error) {
	var zero T
	if requestID == "" {
		var out T
		err := db.Write(ctx, func(tx *Tx) error {
			var err error
			out, err = fn(tx)
			return err
		})
		return out, err
	}
	reqHash, err := requestHash(subject, req)
	if err != nil {
		return zero, err
	}
	answer := func(tx *Tx) (T, bool, error) {
		prior, found, err := lookup(ctx, tx, method, requestID, reqHash)
		if err != nil || !found {
			return zero, false, err
		}
		out := zero.ProtoReflect().Type().New().Interface().(T)
		return out, true, proto.Unmarshal(prior, out)
	}
	var out T
	err = db.Write(ctx, func(tx *Tx) error {
		var found bool
		var err error
		if out, found, err = answer(tx); err != nil || found {
			return err
		}
		if out, err = fn(tx); err != nil {
			return err
		}
		b, err := proto.Marshal(out)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO idempotency_keys (method, request_id, request_hash, response, create_time) VALUES (?, ?, ?, ?, ?)`,
			method, requestID, reqHash, b, Time(time.Now()))
		return err
	})
	if err == nil {
		return out, nil
	}
	// A call with the same id may have committed while this one ran (on
	// PostgreSQL both can be in flight at once). This one then failed on
	// what the other did — the same key, a row the other changed, a state
	// it moved on — and rolled back all it did; its answer is the other's.
	var prior T
	var found bool
	if rerr := db.Read(ctx, func(tx *Tx) error {
		var err error
		prior, found, err = answer(tx)
		return err
	}); rerr == nil && found {
		return prior, nil
	}
	return zero, err
}

func lookup(ctx context.Context, tx *Tx, method, requestID, reqHash string) ([]byte, bool, error) {
	var storedHash string
	var resp []byte
	err := tx.QueryRow(ctx, `SELECT request_hash, response FROM idempotency_keys WHERE method = ? AND request_id = ?`, method, requestID).Scan(&storedHash, &resp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("look up request id: %w", err)
	}
	if storedHash != reqHash {
		return nil, false, apperr.Invalid(apperr.FieldViolation{
			Field:       "request_id",
			Description: "this request_id was already used for a different request; use a new id for a new request",
		})
	}
	return resp, true, nil
}

func requestHash(subject string, req proto.Message) (string, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(subject))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}
