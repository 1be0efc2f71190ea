package protoenum_test

import (
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func TestShort(t *testing.T) {
	tests := []struct {
		e    protoreflect.Enum
		want string
	}{
		{catalogv1.ProviderState_PROVIDER_STATE_ACTIVE, "ACTIVE"},
		{catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001, "ISO_27001"},
		{catalogv1.ProviderState_PROVIDER_STATE_UNSPECIFIED, "UNSPECIFIED"},
		{catalogv1.ProviderState(99), "99"},
	}
	for _, tt := range tests {
		if got := protoenum.Short(tt.e); got != tt.want {
			t.Errorf("Short(%v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestNormalizer(t *testing.T) {
	n := protoenum.Normalizer(catalogv1.ProviderState(0).Descriptor())
	for _, in := range []string{"SUSPENDED", "suspended", "PROVIDER_STATE_SUSPENDED", "provider_state_suspended"} {
		if got := n(in); got != "SUSPENDED" {
			t.Errorf("%q normalises to %q, want SUSPENDED", in, got)
		}
	}
}
