// Package apperr holds the errors the domain and the stores return. They say
// what went wrong in words a user can act on; the gRPC layer maps each Kind
// to a status code in one place (kit/grpcserver), so domain packages never
// import gRPC.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error the way a caller needs to react to it.
type Kind int

// The kinds, named after the gRPC codes they become (AIP-193).
const (
	Internal Kind = iota
	InvalidArgument
	NotFound
	AlreadyExists
	FailedPrecondition
	Aborted
	PermissionDenied
	Unauthenticated
	Unavailable
)

// FieldViolation names one bad field of a request and says what is wrong.
type FieldViolation struct {
	Field       string // path as in the request, e.g. "provider.hq_country"
	Description string
}

// Error is an error with a Kind, a message for the user and, for
// InvalidArgument, one violation per bad field.
type Error struct {
	Kind       Kind
	Message    string
	Violations []FieldViolation
	cause      error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Message + ": " + e.cause.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.cause }

// New returns an error of the given kind with a formatted message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an InvalidArgument error listing the violations.
func Invalid(violations ...FieldViolation) *Error {
	parts := make([]string, len(violations))
	for i, v := range violations {
		parts[i] = v.Field + ": " + v.Description
	}
	msg := strings.Join(parts, "; ")
	return &Error{Kind: InvalidArgument, Message: msg, Violations: violations}
}

// UnavailableDependency wraps a failed call to a dependency.
func UnavailableDependency(dependency string, cause error) *Error {
	return &Error{Kind: Unavailable, Message: dependency + " is unavailable; try again later", cause: cause}
}

// KindOf returns the kind of err, or Internal when it is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Violations collects field violations; its Err is nil when there are none.
type Violations []FieldViolation

// Add records a violation of field.
func (v *Violations) Add(field, format string, args ...any) {
	*v = append(*v, FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// Err returns an InvalidArgument error when there are violations.
func (v Violations) Err() error {
	if len(v) == 0 {
		return nil
	}
	return Invalid(v...)
}
