package terms

import (
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/fieldmask"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Updatable are the fields UpdateContract may change in a DRAFT (top-level
// field names of Contract).
var Updatable = []string{
	"display_name", "type", "client_signatory", "start_date", "end_date", "service_time_zone",
	"monthly_fee", "escalation_cap_bps", "service_levels", "credit_regime",
}

// updateRules: a contract belongs to one engagement for life; the provider
// and proposal come from the award and the rest of the output-only fields
// from the custom methods.
var updateRules = fieldmask.Rules{
	Updatable: Updatable,
	Immutable: []string{"engagement"},
	OutputOnly: []string{
		"name", "provider", "proposal", "state", "author", "approver", "client_signature", "provider_signature",
		"service_commencement_date", "currency_code", "editors", "rejection_reason", "termination", "create_time", "update_time", "etag",
	},
	Why: "draft a new contract for another engagement",
}

// ApplyMask copies the fields named by paths from src onto dst (AIP-134,
// kit/fieldmask): an empty mask means every updatable field set in src,
// "*" every updatable field.
func ApplyMask(dst, src *contractv1.Contract, paths []string) error {
	return fieldmask.Apply(dst, src, paths, updateRules, nil)
}

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
