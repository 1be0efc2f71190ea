// Package fieldmask applies an update's field mask (AIP-134) to a stored
// resource: only the named top-level fields change, output-only fields
// cannot be named, immutable fields cannot change, and some callers may
// change only some fields.
package fieldmask

import (
	"slices"
	"strings"

	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Rules describe a resource's fields for updates, by proto field name.
type Rules struct {
	// Updatable are the fields an update may name.
	Updatable []string
	// Immutable are set on creation only; naming one is allowed only when
	// the value stays the same.
	Immutable []string
	// OutputOnly are set by the server only.
	OutputOnly []string
	// Why is appended to the refusal of an immutable field, e.g. "create a
	// new provider for a different legal entity".
	Why string
}

// Apply copies the fields named by paths from src onto dst (both the same
// message type). Paths are field names in proto (`display_name`) or JSON
// (`displayName`) spelling — REST clients send the latter — and may reach
// into singular message fields (`commercial.term_months`), which is what
// grpc-gateway derives from a PATCH body sent without a mask. The rules
// apply to the top-level field a path starts with. An empty
// mask means every updatable field set in src; "*" means every updatable
// field (unset ones are cleared). When only is non-nil the caller may change
// only those fields (PERMISSION_DENIED otherwise).
func Apply(dst, src proto.Message, paths []string, r Rules, only []string) error {
	srcR, dstR := src.ProtoReflect(), dst.ProtoReflect()
	fields := srcR.Descriptor().Fields()
	switch {
	case len(paths) == 1 && paths[0] == "*":
		paths = r.Updatable
	case len(paths) == 0:
		for _, f := range r.Updatable {
			if srcR.Has(fields.ByName(protoreflect.Name(f))) {
				paths = append(paths, f)
			}
		}
	}
	var v apperr.Violations
	var denied []string
	var apply [][]protoreflect.FieldDescriptor
	for _, path := range paths {
		chain, ok := resolve(srcR.Descriptor(), path)
		if !ok {
			v.Add("update_mask", "%q is not a field of %s (fields: %s)", path, srcR.Descriptor().Name(), strings.Join(r.Updatable, ", "))
			continue
		}
		fd := chain[0]
		name := string(fd.Name())
		switch {
		case name == "name" || name == "etag":
			// The resource's identity and concurrency token travel in every
			// PATCH body, so grpc-gateway puts them in a derived mask; they
			// say which version to change, not what to change.
			continue
		case slices.Contains(r.OutputOnly, name):
			v.Add("update_mask", "%s is output only and cannot be updated", name)
		case slices.Contains(r.Immutable, name):
			if !proto.Equal(only1(srcR, fd), only1(dstR, fd)) {
				v.Add("update_mask", "%s is immutable; %s", name, r.Why)
			}
		case !slices.Contains(r.Updatable, name):
			v.Add("update_mask", "%s cannot be updated (updatable fields: %s)", name, strings.Join(r.Updatable, ", "))
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
