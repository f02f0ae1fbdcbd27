package auth

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/cofferhq/coffer/gen/coffer/v1"
)

// Every RPC in the API must have an entry: a new method without one would
// be refused at run time, and this test says so before that.
func TestEveryMethodHasAPermission(t *testing.T) {
	t.Parallel()
	n := 0
	protoregistry.GlobalFiles.RangeFilesByPackage("coffer.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				name := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(j).Name())
				if _, ok := MethodPermission(name); !ok {
					t.Errorf("%s has no permission entry", name)
				}
				n++
			}
		}
		return true
	})
	if n != len(methods) {
		t.Errorf("%d methods in the API, %d in the table (stale entries?)", n, len(methods))
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	cases := []struct {
		role string
		perm Permission
		want bool
	}{
		{"admin", PermDelete, true},
		{"operator", PermOperate, true},
		{"operator", PermRestore, false},
		{"operator", PermDelete, false},
		{"restorer", PermRestore, true},
		{"restorer", PermAdmin, false},
		{"auditor", PermRead, true},
		{"auditor", PermOperate, false},
		{"agent", PermRead, false},
		{"nobody", PermRead, false},
	}
	for _, c := range cases {
		if got := Allows(c.role, c.perm); got != c.want {
			t.Errorf("Allows(%s, %s) = %v", c.role, c.perm, got)
		}
	}
}
