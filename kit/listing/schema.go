package listing

import (
	"strconv"
	"strings"

	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Facet is one (field, value) pair a stored resource is found by.
type Facet struct {
	Field, Value string
}

// Field is one field of a resource's filter, declared once: the values a
// resource holds for it and how a caller's value is spelled as stored.
type Field[T any] struct {
	Name string
	// Values are the resource's values of the field; empty ones are not
	// indexed.
	Values func(T) []string
	// Normalize turns a caller's value into the stored spelling; nil keeps
	// it as given.
	Normalize func(string) string
	// Restriction marks a facet the server filters on to decide what a
	// caller may see (a provider user's invitations, say); callers cannot
	// name it in a filter.
	Restriction bool
}

// Schema is the filter of one resource: its fields, and a version raised
// whenever a field's Values change meaning, so that stored facets are
// rebuilt (docstore rebuilds them when the Fingerprint changes).
type Schema[T any] struct {
	Version int
	Fields  []Field[T]
}

// Names are the fields a caller may filter on.
func (s Schema[T]) Names() []string {
	var out []string
	for _, f := range s.Fields {
		if !f.Restriction {
			out = append(out, f.Name)
		}
	}
	return out
}

// Parse parses a caller's filter (INVALID_ARGUMENT on "filter" when it
// does not parse or names another field) and spells each value as stored.
func (s Schema[T]) Parse(filter string) ([]Term, error) {
	terms, err := ParseFilter(filter, s.Names()...)
	if err != nil {
		return nil, err
	}
	for i, t := range terms {
		for _, f := range s.Fields {
			if f.Name == t.Field && f.Normalize != nil {
				terms[i].Value = f.Normalize(t.Value)
			}
		}
	}
	return terms, nil
}

// Facets are the pairs m is found by.
func (s Schema[T]) Facets(m T) []Facet {
	var out []Facet
	for _, f := range s.Fields {
		for _, v := range f.Values(m) {
			if v != "" {
				out = append(out, Facet{Field: f.Name, Value: v})
			}
		}
	}
	return out
}

// Fingerprint changes when a field is added, removed or renamed, or the
// version is raised: the facets stored under another fingerprint are stale.
func (s Schema[T]) Fingerprint() string {
	names := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		names[i] = f.Name
	}
	return "v" + strconv.Itoa(s.Version) + ":" + strings.Join(names, ",")
}

// One is a field with a single value per resource.
func One[T any](value func(T) string) func(T) []string {
	return func(m T) []string { return []string{value(m)} }
}

// Enum is a field holding one enum value, stored and filtered by its short
// name (ACTIVE); a caller may also write the full name.
func Enum[T any, E protoreflect.Enum](name string, value func(T) E) Field[T] {
	var zero E
	return Field[T]{
		Name: name,
		Values: func(m T) []string {
			if e := value(m); e.Number() != 0 {
				return []string{protoenum.Short(e)}
			}
			return nil // unset: not found by any value
		},
		Normalize: protoenum.Normalizer(zero.Descriptor()),
	}
}

// Enums is Enum for a field holding several values.
func Enums[T any, E protoreflect.Enum](name string, values func(T) []E) Field[T] {
	var zero E
	return Field[T]{
		Name: name,
		Values: func(m T) []string {
			var out []string
			for _, e := range values(m) {
				if e.Number() != 0 {
					out = append(out, protoenum.Short(e))
				}
			}
			return out
		},
		Normalize: protoenum.Normalizer(zero.Descriptor()),
	}
}
