package terms

import (
	"slices"
	"strings"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Field sets for updates (top-level field names of Contract).
var (
	// Updatable are the fields UpdateContract may change in a DRAFT.
	Updatable = []string{
		"display_name", "type", "client_signatory", "start_date", "end_date", "service_time_zone",
		"monthly_fee", "escalation_cap_bps", "service_levels", "credit_regime",
	}
	// immutable are set on creation only: a contract belongs to one
	// engagement for life.
	immutable = []string{"engagement"}
	// outputOnly are set by the server only (the provider and proposal come
	// from the award, the rest from the custom methods).
	outputOnly = []string{
		"name", "provider", "proposal", "state", "author", "approver", "client_signature", "provider_signature",
		"service_commencement_date", "currency_code", "create_time", "update_time", "etag",
	}
)

// ApplyMask copies the fields named by paths from src onto dst (AIP-134).
// An empty mask means every updatable field set in src; "*" means every
// updatable field, so unset ones are cleared. Naming an output-only field,
// or changing an immutable one, is INVALID_ARGUMENT on update_mask.
func ApplyMask(dst, src *contractv1.Contract, paths []string) error {
	srcR, dstR := src.ProtoReflect(), dst.ProtoReflect()
	switch {
	case len(paths) == 1 && paths[0] == "*":
		copyFields(dst, src, Updatable, false)
		return nil
	case len(paths) == 0:
		copyFields(dst, src, Updatable, true)
		return nil
	}
	var v apperr.Violations
	var apply []string
	for _, path := range paths {
		switch {
		case slices.Contains(outputOnly, path):
			v.Add("update_mask", "%s is output only and cannot be updated", path)
		case slices.Contains(immutable, path):
			if !proto.Equal(wrap(srcR, path), wrap(dstR, path)) {
				v.Add("update_mask", "%s is immutable; draft a new contract for another engagement", path)
			}
		case !slices.Contains(Updatable, path):
			v.Add("update_mask", "%q is not a field of Contract that can be updated (top-level fields only: %s)", path, strings.Join(Updatable, ", "))
		default:
			apply = append(apply, path)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	copyFields(dst, src, apply, false)
	return nil
}

// copyFields copies the named top-level fields of src onto dst; with
// onlySet, fields src does not set are left alone, otherwise they are
// cleared on dst.
func copyFields(dst, src *contractv1.Contract, paths []string, onlySet bool) {
	// A private copy of src, so dst never shares sub-messages with it.
	srcR, dstR := proto.Clone(src).ProtoReflect(), dst.ProtoReflect()
	fields := srcR.Descriptor().Fields()
	for _, path := range paths {
		fd := fields.ByName(protoreflect.Name(path))
		switch {
		case srcR.Has(fd):
			dstR.Set(fd, srcR.Get(fd))
		case !onlySet:
			dstR.Clear(fd)
		}
	}
}

// wrap returns a message holding only field path of m, to compare values.
func wrap(m protoreflect.Message, path string) proto.Message {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(path))
	out := m.New()
	if m.Has(fd) {
		out.Set(fd, m.Get(fd))
	}
	return out.Interface()
}
