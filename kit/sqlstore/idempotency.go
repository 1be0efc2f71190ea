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
// A request id reused for a different request is refused. Without a request
// id, fn simply runs in a transaction.
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
	for attempt := 0; ; attempt++ {
		var out T
		err := db.Write(ctx, func(tx *Tx) error {
			prior, found, err := lookup(ctx, tx, method, requestID, reqHash)
			if err != nil || found {
				if found {
					out = zero.ProtoReflect().Type().New().Interface().(T)
					err = proto.Unmarshal(prior, out)
				}
				return err
			}
			out, err = fn(tx)
			if err != nil {
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
		// Two calls with the same id raced: the loser rolled back all it did;
		// answer it with the winner's result.
		if err != nil && IsUniqueViolation(err) && attempt == 0 {
			continue
		}
		return out, err
	}
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
