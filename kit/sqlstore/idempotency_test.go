package sqlstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const (
	createMethod = "/bpo.test.v1.TestService/CreateThing"
	otherMethod  = "/bpo.test.v1.TestService/ApproveThing"
)

// effect is the side effect of one acting call: it counts up the audit
// head's sequence (a kit table every database has) and answers the new
// count, so a test can tell how many calls acted and which answer a call got.
func effect(ctx context.Context, tx *sqlstore.Tx) (*wrapperspb.Int64Value, error) {
	var n int64
	if err := tx.QueryRow(ctx, `UPDATE audit_head SET sequence = sequence + 1 WHERE id = 1 RETURNING sequence`).Scan(&n); err != nil {
		return nil, err
	}
	return wrapperspb.Int64(n), nil
}

// effects reads how many calls acted.
func effects(t *testing.T, db *sqlstore.DB) int64 {
	t.Helper()
	var n int64
	err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
		return tx.QueryRow(t.Context(), `SELECT sequence FROM audit_head WHERE id = 1`).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func call(ctx context.Context, db *sqlstore.DB, method, requestID, subject, payload string) (*wrapperspb.Int64Value, error) {
	return sqlstore.Idempotent(ctx, db, method, requestID, subject, wrapperspb.String(payload),
		func(tx *sqlstore.Tx) (*wrapperspb.Int64Value, error) { return effect(ctx, tx) })
}

// wantRequestIDViolation fails unless err is INVALID_ARGUMENT naming request_id.
func wantRequestIDViolation(t *testing.T, err error) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || len(ae.Violations) != 1 || ae.Violations[0].Field != "request_id" {
		t.Fatalf("got %v, want INVALID_ARGUMENT on request_id", err)
	}
}

func TestIdempotent(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			tests := []struct {
				name string
				// run makes the calls on a fresh database and checks their
				// answers; the test then checks how many of them acted.
				run         func(t *testing.T, db *sqlstore.DB)
				wantEffects int64
			}{
				{"the same id twice acts once and answers the first result", func(t *testing.T, db *sqlstore.DB) {
					first, err := call(t.Context(), db, createMethod, "req-1", "ana", "acme")
					if err != nil {
						t.Fatal(err)
					}
					again, err := call(t.Context(), db, createMethod, "req-1", "ana", "acme")
					if err != nil {
						t.Fatal(err)
					}
					if first.GetValue() != 1 || again.GetValue() != 1 {
						t.Fatalf("answers %d and %d, want the first call's 1 both times", first.GetValue(), again.GetValue())
					}
				}, 1},
				{"the same id with a different payload is refused", func(t *testing.T, db *sqlstore.DB) {
					if _, err := call(t.Context(), db, createMethod, "req-1", "ana", "acme"); err != nil {
						t.Fatal(err)
					}
					_, err := call(t.Context(), db, createMethod, "req-1", "ana", "globex")
					wantRequestIDViolation(t, err)
				}, 1},
				{"the same id and payload from another caller is refused, not answered with the first caller's result", func(t *testing.T, db *sqlstore.DB) {
					if _, err := call(t.Context(), db, createMethod, "req-1", "ana", "acme"); err != nil {
						t.Fatal(err)
					}
					_, err := call(t.Context(), db, createMethod, "req-1", "ben", "acme")
					wantRequestIDViolation(t, err)
				}, 1},
				{"the same id on another method is another request", func(t *testing.T, db *sqlstore.DB) {
					a, err := call(t.Context(), db, createMethod, "req-1", "ana", "acme")
					if err != nil {
						t.Fatal(err)
					}
					b, err := call(t.Context(), db, otherMethod, "req-1", "ana", "acme")
					if err != nil {
						t.Fatal(err)
					}
					if a.GetValue() != 1 || b.GetValue() != 2 {
						t.Fatalf("answers %d and %d, want 1 and 2", a.GetValue(), b.GetValue())
					}
				}, 2},
				{"without a request id every call acts", func(t *testing.T, db *sqlstore.DB) {
					for want := int64(1); want <= 2; want++ {
						got, err := call(t.Context(), db, createMethod, "", "ana", "acme")
						if err != nil {
							t.Fatal(err)
						}
						if got.GetValue() != want {
							t.Fatalf("answer %d, want %d", got.GetValue(), want)
						}
					}
				}, 2},
				{"a failed call is not remembered: its retry acts", func(t *testing.T, db *sqlstore.DB) {
					refused := apperr.New(apperr.FailedPrecondition, "not yet")
					_, err := sqlstore.Idempotent(t.Context(), db, createMethod, "req-1", "ana", wrapperspb.String("acme"),
						func(tx *sqlstore.Tx) (*wrapperspb.Int64Value, error) {
							if _, err := effect(t.Context(), tx); err != nil {
								return nil, err
							}
							return nil, refused
						})
					if !errors.Is(err, refused) {
						t.Fatalf("got %v, want the call's own error", err)
					}
					got, err := call(t.Context(), db, createMethod, "req-1", "ana", "acme")
					if err != nil {
						t.Fatal(err)
					}
					// The failed call's effect was rolled back, so the retry is the first to act.
					if got.GetValue() != 1 {
						t.Fatalf("retry answered %d, want 1", got.GetValue())
					}
				}, 1},
				{"concurrent calls with the same id act once and all get its answer", func(t *testing.T, db *sqlstore.DB) {
					const n = 8
					answers := make([]int64, n)
					errs := make([]error, n)
					var wg sync.WaitGroup
					for i := range n {
						wg.Go(func() {
							got, err := call(t.Context(), db, createMethod, "req-1", "ana", "acme")
							answers[i], errs[i] = got.GetValue(), err
						})
					}
					wg.Wait()
					for i := range n {
						if errs[i] != nil || answers[i] != 1 {
							t.Errorf("call %d: answer %d, error %v; want 1 and no error", i, answers[i], errs[i])
						}
					}
				}, 1},
				{"a retry racing the first call gets the first answer even when the first call's effect makes it fail", func(t *testing.T, db *sqlstore.DB) {
					// The action may be done once only: a second run fails
					// (as an approval of something already approved does).
					once := func(ctx context.Context, tx *sqlstore.Tx) (*wrapperspb.Int64Value, error) {
						res, err := tx.Exec(ctx, `UPDATE audit_head SET sequence = 1 WHERE id = 1 AND sequence = 0`)
						if err != nil {
							return nil, err
						}
						if n, _ := res.RowsAffected(); n != 1 {
							return nil, apperr.New(apperr.FailedPrecondition, "already done")
						}
						return wrapperspb.Int64(1), nil
					}
					acted, release := make(chan struct{}), make(chan struct{})
					firstErr := make(chan error, 1)
					go func() {
						_, err := sqlstore.Idempotent(t.Context(), db, createMethod, "req-1", "ana", wrapperspb.String("acme"),
							func(tx *sqlstore.Tx) (*wrapperspb.Int64Value, error) {
								out, err := once(t.Context(), tx)
								close(acted)
								<-release // hold the transaction open while the retry starts
								return out, err
							})
						firstErr <- err
					}()
					<-acted
					go func() { time.Sleep(300 * time.Millisecond); close(release) }()
					got, err := sqlstore.Idempotent(t.Context(), db, createMethod, "req-1", "ana", wrapperspb.String("acme"),
						func(tx *sqlstore.Tx) (*wrapperspb.Int64Value, error) { return once(t.Context(), tx) })
					if err := <-firstErr; err != nil {
						t.Fatalf("first call: %v", err)
					}
					if err != nil || got.GetValue() != 1 {
						t.Fatalf("retry: answer %v, error %v; want the first call's answer 1", got, err)
					}
				}, 1},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					db := sqltest.Open(t, dialect, "idem", nil)
					tt.run(t, db)
					if got := effects(t, db); got != tt.wantEffects {
						t.Fatalf("%d calls acted, want %d", got, tt.wantEffects)
					}
				})
			}
		})
	}
}
