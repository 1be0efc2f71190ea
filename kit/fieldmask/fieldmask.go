// Package fieldmask applies an update's field mask (AIP-134) to a stored
// resource. What a mask may change comes from the resource's
// google.api.field_behavior annotations (AIP-203), read from the
// descriptor, never from lists kept beside the proto: OUTPUT_ONLY and
// IDENTIFIER fields are ignored (a client that reads, changes and writes
// back a resource sends them, and must not be refused for it), IMMUTABLE
// fields may be named only with the value they hold, and every other field
// may change. Some callers may change only some fields.
package fieldmask

import (
	"slices"
	"strings"

	"github.com/acme/bpo/kit/apperr"
	"go.einride.tech/aip/fieldbehavior"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ignored reports whether a field is set by the server only.
func ignored(fd protoreflect.FieldDescriptor) bool {
	return fieldbehavior.Has(fd, annotations.FieldBehavior_OUTPUT_ONLY) ||
		fieldbehavior.Has(fd, annotations.FieldBehavior_IDENTIFIER) ||
		fd.Name() == "etag" // the concurrency token says which version to change, not what
}

// Updatable are the top-level fields of md an update may change.
func Updatable(md protoreflect.MessageDescriptor) []string {
	var out []string
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		if !ignored(fd) && !fieldbehavior.Has(fd, annotations.FieldBehavior_IMMUTABLE) {
			out = append(out, string(fd.Name()))
		}
	}
	return out
}

// ClearOutputOnly clears m's output-only fields, at every depth, and its
// identifier: what a caller sends in them on create is never stored
// (AIP-203); the server names what it creates.
func ClearOutputOnly(m proto.Message) {
	fieldbehavior.ClearFields(m, annotations.FieldBehavior_OUTPUT_ONLY, annotations.FieldBehavior_IDENTIFIER)
}

// Apply copies the fields named by paths from src onto dst (both the same
// message type). Paths are field names in proto (`display_name`) or JSON
// (`displayName`) spelling — REST clients send the latter — and may reach
// into singular message fields (`commercial.term_months`), which is what
// grpc-gateway derives from a PATCH body sent without a mask. The field
// behaviour of the top-level field a path starts with decides. An empty
// mask means every updatable field set in src; "*" means every updatable
// field (unset ones are cleared). why is appended to the refusal of an
// immutable field ("create a new provider for a different legal entity").
// When only is non-nil the caller may change only those fields
// (PERMISSION_DENIED otherwise).
func Apply(dst, src proto.Message, paths []string, why string, only []string) error {
	srcR, dstR := src.ProtoReflect(), dst.ProtoReflect()
	md := srcR.Descriptor()
	updatable := Updatable(md)
	switch {
	case len(paths) == 1 && paths[0] == "*":
		paths = updatable
	case len(paths) == 0:
		for _, f := range updatable {
			if srcR.Has(md.Fields().ByName(protoreflect.Name(f))) {
				paths = append(paths, f)
			}
		}
	}
	var v apperr.Violations
	var denied []string
	var apply [][]protoreflect.FieldDescriptor
	for _, path := range paths {
		chain, ok := resolve(md, path)
		if !ok {
			v.Add("update_mask", "%q is not a field of %s (fields: %s)", path, md.Name(), strings.Join(updatable, ", "))
			continue
		}
		fd := chain[0]
		name := string(fd.Name())
		switch {
		case ignored(fd):
			continue
		case fieldbehavior.Has(fd, annotations.FieldBehavior_IMMUTABLE):
			if !proto.Equal(only1(srcR, fd), only1(dstR, fd)) {
				v.Add("update_mask", "%s is immutable; %s", name, why)
			}
		case only != nil && !slices.Contains(only, name):
			denied = append(denied, name)
		default:
			apply = append(apply, chain)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if len(denied) > 0 {
		return apperr.New(apperr.PermissionDenied, "you may change only %s, not %s", strings.Join(only, ", "), strings.Join(denied, ", "))
	}
	for _, chain := range apply {
		s, d := srcR, dstR
		for _, fd := range chain[:len(chain)-1] {
			s, d = s.Get(fd).Message(), d.Mutable(fd).Message()
		}
		leaf := chain[len(chain)-1]
		if s.Has(leaf) {
			d.Set(leaf, s.Get(leaf))
		} else {
			d.Clear(leaf)
		}
	}
	return nil
}

// resolve turns a dotted path into its chain of fields; every field but the
// last must be a singular message.
func resolve(md protoreflect.MessageDescriptor, path string) ([]protoreflect.FieldDescriptor, bool) {
	var chain []protoreflect.FieldDescriptor
	for i, seg := range strings.Split(path, ".") {
		if i > 0 {
			prev := chain[i-1]
			if prev.Message() == nil || prev.IsList() || prev.IsMap() {
				return nil, false
			}
			md = prev.Message()
		}
		fd := md.Fields().ByName(protoreflect.Name(seg))
		if fd == nil {
			fd = md.Fields().ByJSONName(seg)
		}
		if fd == nil {
			return nil, false
		}
		chain = append(chain, fd)
	}
	return chain, len(chain) > 0
}

// only1 returns a message holding only field fd of m, to compare values.
func only1(m protoreflect.Message, fd protoreflect.FieldDescriptor) proto.Message {
	out := m.New()
	if m.Has(fd) {
		out.Set(fd, m.Get(fd))
	}
	return out.Interface()
}
