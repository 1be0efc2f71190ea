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
// message type). Paths are top-level field names, in proto (`display_name`)
// or JSON (`displayName`) spelling — REST clients send the latter. An empty
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
	var denied, names []string
	for _, path := range paths {
		fd := fields.ByName(protoreflect.Name(path))
		if fd == nil {
			fd = fields.ByJSONName(path)
		}
		if fd == nil {
			v.Add("update_mask", "%q is not a field of %s (top-level fields only: %s)", path, srcR.Descriptor().Name(), strings.Join(r.Updatable, ", "))
			continue
		}
		name := string(fd.Name())
		switch {
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
			names = append(names, name)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if len(denied) > 0 {
		return apperr.New(apperr.PermissionDenied, "you may change only %s, not %s", strings.Join(only, ", "), strings.Join(denied, ", "))
	}
	for _, name := range names {
		fd := fields.ByName(protoreflect.Name(name))
		if srcR.Has(fd) {
			dstR.Set(fd, srcR.Get(fd))
		} else {
			dstR.Clear(fd)
		}
	}
	return nil
}

// only1 returns a message holding only field fd of m, to compare values.
func only1(m protoreflect.Message, fd protoreflect.FieldDescriptor) proto.Message {
	out := m.New()
	if m.Has(fd) {
		out.Set(fd, m.Get(fd))
	}
	return out.Interface()
}
