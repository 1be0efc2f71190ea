// Command protodeps writes the third-party .proto files our API imports
// (google/api, google/rpc, google/type, buf/validate) into a directory, printed
// back from the file descriptors embedded in the Go modules of go.mod.
//
// The Buf Schema Registry is not reachable from our build machines and we do
// not commit copies of other projects' protos; printing them from the Go
// packages we already depend on keeps them offline and always at the versions
// go.mod pins, so the generated code matches the runtime it links against.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jhump/protoreflect/desc"
	"github.com/jhump/protoreflect/desc/protoprint"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	_ "github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2/options"
	_ "google.golang.org/genproto/googleapis/api/annotations"
	_ "google.golang.org/genproto/googleapis/api/httpbody"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"
	_ "google.golang.org/genproto/googleapis/rpc/status"
	_ "google.golang.org/genproto/googleapis/type/date"
	_ "google.golang.org/genproto/googleapis/type/dayofweek"
	_ "google.golang.org/genproto/googleapis/type/timeofday"
)

// files are the imports our protos use; their own imports are written too.
var files = []string{
	"buf/validate/validate.proto",
	"google/api/annotations.proto",
	"google/api/field_behavior.proto",
	"google/api/httpbody.proto",
	"google/api/resource.proto",
	"google/rpc/error_details.proto",
	"google/rpc/status.proto",
	"google/type/date.proto",
	"google/type/dayofweek.proto",
	"google/type/timeofday.proto",
	"protoc-gen-openapiv2/options/annotations.proto",
}

func main() {
	out := flag.String("out", "build/protodeps", "directory to write the .proto files into")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "protodeps:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	written := map[string]bool{}
	printer := &protoprint.Printer{}
	var write func(path string) error
	write = func(path string) error {
		if written[path] {
			return nil
		}
		written[path] = true
		fd, err := protoregistry.GlobalFiles.FindFileByPath(path)
		if err != nil {
			return fmt.Errorf("find %s: %w", path, err)
		}
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			dep := imports.Get(i).Path()
			// google/protobuf well-known types ship with buf itself.
			if filepath.Dir(dep) == "google/protobuf" {
				continue
			}
			if err := write(dep); err != nil {
				return err
			}
		}
		d, err := desc.WrapFile(fd)
		if err != nil {
			return fmt.Errorf("wrap %s: %w", path, err)
		}
		target := filepath.Join(out, path)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		f, err := os.Create(target)
		if err != nil {
			return err
		}
		if err := printer.PrintProtoFile(d, f); err != nil {
			f.Close()
			return fmt.Errorf("print %s: %w", path, err)
		}
		return f.Close()
	}
	for _, path := range files {
		if err := write(path); err != nil {
			return err
		}
	}
	return nil
}
