package catalog

import (
	"slices"
	"strings"

	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maskFields says which top-level fields of a resource an update may name.
type maskFields struct {
	kind       string // e.g. "Process", for messages
	updatable  []string
	immutable  []string // set on creation only; restating the value is fine
	outputOnly []string
}

// applyMask copies the fields named by paths from src onto dst (AIP-134).
// An empty mask means every updatable field set in src; "*" means every
// updatable field. It also returns the paths applied.
func applyMask(dst, src proto.Message, paths []string, f maskFields) ([]string, error) {
	srcR, dstR := src.ProtoReflect(), dst.ProtoReflect()
	fields := srcR.Descriptor().Fields()
	switch {
	case len(paths) == 1 && paths[0] == "*":
		paths = f.updatable
	case len(paths) == 0:
		for _, name := range f.updatable {
			if srcR.Has(fields.ByName(protoreflect.Name(name))) {
				paths = append(paths, name)
			}
		}
	}
	var v apperr.Violations
	var apply []string
	for _, path := range paths {
		switch {
		case slices.Contains(f.outputOnly, path):
			v.Add("update_mask", "%s is output only and cannot be updated", path)
		case slices.Contains(f.immutable, path):
			if !proto.Equal(only(srcR, path), only(dstR, path)) {
				v.Add("update_mask", "%s is immutable: it is set when the %s is created", path, strings.ToLower(f.kind))
			}
		case !slices.Contains(f.updatable, path):
			v.Add("update_mask", "%q is not a field of %s that can be updated (top-level fields only: %s)", path, f.kind, strings.Join(f.updatable, ", "))
		default:
			apply = append(apply, path)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for _, path := range apply {
		fd := fields.ByName(protoreflect.Name(path))
		if srcR.Has(fd) {
			dstR.Set(fd, srcR.Get(fd))
		} else {
			dstR.Clear(fd)
		}
	}
	return apply, nil
}

// only returns a message holding only field path of m, to compare values.
func only(m protoreflect.Message, path string) proto.Message {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(path))
	out := m.New()
	if m.Has(fd) {
		out.Set(fd, m.Get(fd))
	}
	return out.Interface()
}
