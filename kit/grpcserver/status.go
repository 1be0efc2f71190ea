package grpcserver

import (
	"context"
	"errors"

	"github.com/acme/bpo/kit/apperr"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// codeOf maps each kind to its code; a kind missing here is a bug and
// answers INTERNAL, never the OK that a zero code would be.
var codeOf = map[apperr.Kind]codes.Code{
	apperr.Internal:           codes.Internal,
	apperr.InvalidArgument:    codes.InvalidArgument,
	apperr.NotFound:           codes.NotFound,
	apperr.AlreadyExists:      codes.AlreadyExists,
	apperr.FailedPrecondition: codes.FailedPrecondition,
	apperr.Aborted:            codes.Aborted,
	apperr.PermissionDenied:   codes.PermissionDenied,
	apperr.Unauthenticated:    codes.Unauthenticated,
	apperr.Unavailable:        codes.Unavailable,
}

// internalMessage is all a caller learns of a bug; the cause goes to the log.
const internalMessage = "internal error; the failure has been logged"

// toStatus maps an error of a handler to the status the caller sees. Domain
// errors (apperr) keep their message; status errors (from a downstream call
// or the validator) pass through; anything else is a bug and becomes
// INTERNAL without its text.
func toStatus(ctx context.Context, log *zap.Logger, err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		code, ok := codeOf[ae.Kind]
		if !ok || code == codes.Internal {
			log.Error("internal error", zap.Error(err))
			return status.Error(codes.Internal, internalMessage)
		}
		st := status.New(code, ae.Message)
		if len(ae.Violations) > 0 {
			br := &errdetails.BadRequest{}
			for _, v := range ae.Violations {
				br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
					Field: v.Field, Description: v.Description,
				})
			}
			if withDetails, derr := st.WithDetails(br); derr == nil {
				st = withDetails
			}
		}
		return st.Err()
	}
	// A status wrapped by a handler (fmt.Errorf("ask contract: %w", err))
	// passes through with its own message; status.FromError would prefix
	// it with the wrapping text, which is for the log, not the caller.
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return se.GRPCStatus().Err()
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "the call was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "the deadline was exceeded")
	}
	log.Error("internal error", zap.Error(err))
	return status.Error(codes.Internal, internalMessage)
}
