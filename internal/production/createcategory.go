package production

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// createCategoryParams are the parameters of create_category.
type createCategoryParams struct {
	// Name names the category (namePattern).
	Name namePattern `json:"name"`
	// ParentID is the category it goes under; 0: the top level.
	ParentID int64 `json:"parent_id,omitempty"`
	// Role, when set, is given to the buyer in the new category (e.g.
	// manager, or coursecreator to let them create courses there).
	Role string `json:"role,omitempty"`
	// The instance's validity (Moodle's categories and role assignments
	// have none).
	period
}

func parseCreateCategoryParams(raw json.RawMessage) (createCategoryParams, error) {
	var p createCategoryParams
	if err := decodeParams(raw, &p); err != nil {
		return p, err
	}
	if err := p.Name.validate("name"); err != nil {
		return p, err
	}
	if p.ParentID < 0 {
		return p, fmt.Errorf("%w: parent_id %d", ErrInvalidParams, p.ParentID)
	}
	if p.Role != "" {
		if err := checkRole("role", p.Role); err != nil {
			return p, err
		}
	}
	return p, p.validate()
}

// createCategory creates one course category per unit bought, named from
// the order and the buyer's answers, and gives the buyer a role in it when
// the parameters name one. One instance per category, unit key "cat<k>",
// of type store.LMSObjectCategory. As for create_course, each category
// gets an idnumber made from the order, line and unit, by which an attempt
// running again after a crash finds the category the interrupted one
// created.
type createCategory struct{}

func (createCategory) Validate(params json.RawMessage) error {
	_, err := parseCreateCategoryParams(params)
	return err
}

func (createCategory) Produce(ctx context.Context, t *Task) ([]*store.Instance, error) {
	p, err := parseCreateCategoryParams(t.Unit.Params)
	if err != nil {
		return nil, permanent(err)
	}
	var out []*store.Instance
	for k := 1; k <= t.Unit.Quantity; k++ {
		key := "cat" + strconv.Itoa(k)
		if t.Has(key) {
			continue
		}
		cat, err := ensureCategory(ctx, t, p, k)
		if err != nil {
			return nil, err
		}
		if p.Role != "" {
			a := lms.RoleAssignment{UserRef: t.Buyer.Ref, Role: p.Role, Level: lms.ContextCategory, InstanceID: cat.ID}
			if err := t.LMS.AssignRole(ctx, a); err != nil {
				return nil, fmt.Errorf("role %s for %s in category %s: %w", p.Role, t.Buyer.Username, cat.Name, err)
			}
			t.Note("%s has role %s in category %s", t.Buyer.Username, p.Role, cat.Name)
		}
		in := t.Instance(key)
		in.LMSObjectType = store.LMSObjectCategory
		in.LMSObjectRef = strconv.FormatInt(cat.ID, 10)
		start, end := p.at(t.Base)
		in.Start, in.End, in.State = start, end, state(start, end, t.Now)
		in.Data["category"] = cat.Name
		in.Data["idnumber"] = cat.IDNumber
		in.Data["user"] = t.Buyer.Ref
		if p.Role != "" {
			in.Data["role"] = p.Role
		}
		out = append(out, in)
	}
	return out, nil
}

// ensureCategory returns the category of the k-th unit: the one an
// earlier attempt created (found by its idnumber), or a new one.
func ensureCategory(ctx context.Context, t *Task, p createCategoryParams, k int) (*lms.Category, error) {
	idnumber := t.lmsIDNumber(k)
	cat, err := t.LMS.Category(ctx, lms.CategoryRef{IDNumber: idnumber})
	if err == nil {
		t.Note("category %s found, created by an earlier attempt", cat.Name)
		return cat, nil
	}
	if !errors.Is(err, lms.ErrNoCategory) {
		return nil, fmt.Errorf("category %s: %w", idnumber, err)
	}
	name, err := p.Name.render(t, k, "name")
	if err != nil {
		return nil, err
	}
	cat, err = t.LMS.CreateCategory(ctx, name, idnumber, p.ParentID)
	if err != nil {
		return nil, fmt.Errorf("category %s: %w", name, err)
	}
	t.Note("category %s created", cat.Name)
	return cat, nil
}
