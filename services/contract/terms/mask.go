package terms

import (
	"slices"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/fieldmask"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// updatable are the fields a caller may set on a draft, as the proto's
// field behaviour says: the provider and proposal come from the award, the
// engagement is fixed for life, the rest is set by the custom methods.
var updatable = fieldmask.Updatable((*contractv1.Contract)(nil).ProtoReflect().Descriptor())

// ApplyMask copies the fields named by paths from src onto dst (AIP-134,
// kit/fieldmask): an empty mask means every updatable field set in src,
// "*" every updatable field.
func ApplyMask(dst, src *contractv1.Contract, paths []string) error {
	return fieldmask.Apply(dst, src, paths, "draft a new contract for another engagement", nil)
}

// prefillable are the updatable fields a create request overrides the
// pre-fill with as a whole; the credit regime is merged field by field.
var prefillable = slices.DeleteFunc(slices.Clone(updatable), func(f string) bool { return f == "credit_regime" })

// copyFields copies the named top-level fields that src sets onto dst.
func copyFields(dst, src *contractv1.Contract, paths []string) {
	// A private copy of src, so dst never shares sub-messages with it.
	srcR, dstR := proto.Clone(src).ProtoReflect(), dst.ProtoReflect()
	fields := srcR.Descriptor().Fields()
	for _, path := range paths {
		if fd := fields.ByName(protoreflect.Name(path)); srcR.Has(fd) {
			dstR.Set(fd, srcR.Get(fd))
		}
	}
}
