package grpcserver

import (
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"github.com/acme/bpo/kit/apperr"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func TestEveryKindHasACode(t *testing.T) {
	for kind := apperr.Internal; kind <= apperr.Unavailable; kind++ {
		err := toStatus(t.Context(), zap.NewNop(), apperr.New(kind, "x"))
		if got := status.Code(err); got == codes.OK || (kind != apperr.Internal && got == codes.Internal) {
			t.Errorf("kind %d answers %v", kind, got)
		}
	}
	t.Run("an unknown kind is INTERNAL, not OK", func(t *testing.T) {
		err := toStatus(t.Context(), zap.NewNop(), apperr.New(apperr.Kind(99), "x"))
		if got := status.Code(err); got != codes.Internal {
			t.Fatalf("got %v, want Internal", got)
		}
	})
}

func TestViolationsOnePerField(t *testing.T) {
	at := func(msg string, path ...string) *protovalidate.Violation {
		fp := &validate.FieldPath{}
		for _, p := range path {
			fp.Elements = append(fp.Elements, &validate.FieldPathElement{FieldName: proto.String(p)})
		}
		return &protovalidate.Violation{Proto: &validate.Violation{Field: fp, Message: proto.String(msg)}}
	}
	verr := &protovalidate.ValidationError{Violations: []*protovalidate.Violation{
		at("must be at least 1 characters", "provider", "display_name"),
		at("must match pattern ^[A-Z]{2}$", "provider", "hq_country"),
		at("must match pattern ^[a-z]+$", "provider", "display_name"),
	}}
	got := violations(verr)
	want := apperr.Violations{
		{Field: "provider.display_name", Description: "must be at least 1 characters; must match pattern ^[a-z]+$"},
		{Field: "provider.hq_country", Description: "must match pattern ^[A-Z]{2}$"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("violation %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
