package grpcserver

import (
	"bytes"
	"crypto/rand"
	"errors"

	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// codec is gRPC's proto codec for the server's side, except that a request
// whose bytes do not decode does not fail in grpc-go: grpc-go turns any
// codec error into INTERNAL and answers before an interceptor runs, so a
// broken client looked like a server bug and was neither logged nor
// counted. Instead the message arrives empty and marked, and the
// validation interceptor answers INVALID_ARGUMENT after authentication, as
// for any other bad request.
type codec struct{ base encoding.CodecV2 }

func newCodec() codec { return codec{base: encoding.GetCodecV2(grpcproto.Name)} }

func (c codec) Name() string { return c.base.Name() }

func (c codec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.base.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return err
	}
	proto.Reset(m) // nothing half-decoded reaches a handler
	m.ProtoReflect().SetUnknown(undecodableMark(err))
	return nil
}

// The mark is an unknown field that only this process can write: a client
// sending the same field number cannot guess the nonce.
const markField = protowire.MaxValidNumber

var markNonce = func() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return b
}()

func undecodableMark(err error) []byte {
	b := protowire.AppendTag(nil, markField, protowire.BytesType)
	return protowire.AppendBytes(b, append(bytes.Clone(markNonce), err.Error()...))
}

// undecodable returns the decoding error of a request the codec marked, or
// nil.
func undecodable(m proto.Message) error {
	u := m.ProtoReflect().GetUnknown()
	if len(u) == 0 {
		return nil
	}
	num, typ, n := protowire.ConsumeTag(u)
	if n < 0 || num != markField || typ != protowire.BytesType {
		return nil
	}
	v, vn := protowire.ConsumeBytes(u[n:])
	if vn < 0 || n+vn != len(u) || !bytes.HasPrefix(v, markNonce) {
		return nil
	}
	return errors.New(string(v[len(markNonce):]))
}

// undecodableRequest is the answer to a marked request.
func undecodableRequest(m proto.Message, err error) error {
	return apperr.New(apperr.InvalidArgument, "the request is not a valid %s message (%v); send its protobuf encoding",
		m.ProtoReflect().Descriptor().FullName(), err)
}
