// Package names parses the resource names callers send with the typed
// …ResourceName parsers generated from the protos' google.api.resource
// patterns (protoc-gen-go-aip), answering a name of the wrong kind with
// INVALID_ARGUMENT on the field that held it.
package names

import (
	"strconv"

	"github.com/acme/bpo/kit/apperr"
	"github.com/oklog/ulid/v2"
)

// Name is a generated resource name type (ProviderResourceName, …).
type Name[N any] interface {
	*N
	UnmarshalString(string) error
	Pattern() string
}

// Parse parses value, the request's field, as an N.
func Parse[N any, P Name[N]](field, value string) (N, error) {
	var n N
	if err := P(&n).UnmarshalString(value); err != nil {
		return n, Invalid[N, P](field, value)
	}
	return n, nil
}

// Invalid is the refusal of value in field as an N.
func Invalid[N any, P Name[N]](field, value string) error {
	var n N
	return apperr.Invalid(apperr.FieldViolation{
		Field:       field,
		Description: strconv.Quote(value) + " is not a name of the form " + P(&n).Pattern(),
	})
}

// NewID is the id of a new resource: a ULID, so that name order within a
// collection is creation order (docstore lists in name order).
func NewID() string { return ulid.Make().String() }
