package local

import (
	"context"
	"errors"
	"testing"

	"courseshop/internal/lms"
	"courseshop/internal/password"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

func TestCredentials(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	hash, _ := password.Hash("s3cret-pass", password.Cheap())
	for _, u := range []*store.LMSUser{
		{User: lms.User{Username: "ann", Email: "Ann@Example.com", FirstName: "Ann", LastName: "Martin"}, PasswordHash: hash},
		{User: lms.User{Username: "ann2", Email: "ann@example.com", FirstName: "Ann", LastName: "Other"}}, // same e-mail, no password
		{User: lms.User{Username: "sus", Email: "sus@example.com", Suspended: true}, PasswordHash: hash},
	} {
		if err := st.CreateLMSUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	c := New(st)
	for _, tc := range []struct {
		login, pw string
		want      string // username, or "" for refused
	}{
		{"ann", "s3cret-pass", "ann"},
		{" ANN@example.com ", "s3cret-pass", "ann"},
		{"ann", "wrong", ""},
		{"ann2", "", ""},
		{"sus", "s3cret-pass", ""},
		{"nobody", "s3cret-pass", ""},
		{"nobody@example.com", "x", ""},
	} {
		u, err := c.CheckCredentials(ctx, tc.login, tc.pw)
		if tc.want == "" {
			if !errors.Is(err, lms.ErrBadCredentials) {
				t.Errorf("%q/%q: %v, %v; want ErrBadCredentials", tc.login, tc.pw, u, err)
			}
			continue
		}
		if err != nil || u.Username != tc.want || u.Ref == "" {
			t.Errorf("%q: %+v, %v", tc.login, u, err)
		}
	}
	us, err := c.UsersByEmail(ctx, "ANN@example.com")
	if err != nil || len(us) != 2 {
		t.Errorf("UsersByEmail = %d, %v", len(us), err)
	}
	u, err := c.UserByRef(ctx, us[0].Ref)
	if err != nil || u.LastName != "Martin" {
		t.Errorf("UserByRef = %+v, %v", u, err)
	}
	for _, ref := range []string{"999", "x", ""} {
		if _, err := c.UserByRef(ctx, ref); !errors.Is(err, lms.ErrNoUser) {
			t.Errorf("UserByRef(%q) = %v", ref, err)
		}
	}
	if _, err := password.Verify("x", dummyHash); err != nil {
		t.Errorf("dummy hash is not a valid hash: %v", err)
	}
}
