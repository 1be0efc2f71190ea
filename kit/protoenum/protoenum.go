// Package protoenum spells enum values the way people and filters write
// them: without the type prefix the style guide puts on every value
// (ACTIVE for PROVIDER_STATE_ACTIVE).
package protoenum

import (
	"strconv"
	"strings"
	"unicode"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Prefix is the prefix every value of d carries: the enum's name in
// UPPER_SNAKE_CASE and an underscore (PROVIDER_STATE_ for ProviderState).
func Prefix(d protoreflect.EnumDescriptor) string {
	var b strings.Builder
	for i, r := range string(d.Name()) {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String() + "_"
}

// Short is e's value name without its type prefix (UNSPECIFIED for the
// zero value), or the number for a value this build does not know.
func Short(e protoreflect.Enum) string {
	v := e.Descriptor().Values().ByNumber(e.Number())
	if v == nil {
		return strconv.Itoa(int(e.Number()))
	}
	return strings.TrimPrefix(string(v.Name()), Prefix(e.Descriptor()))
}

// Normalizer returns a function that turns a caller's spelling of a value
// of d (ACTIVE, active or PROVIDER_STATE_ACTIVE) into Short's.
func Normalizer(d protoreflect.EnumDescriptor) func(string) string {
	prefix := Prefix(d)
	return func(s string) string { return strings.TrimPrefix(strings.ToUpper(s), prefix) }
}
