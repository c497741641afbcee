package shop

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"courseshop/internal/catalog"
)

func TestValidateAnswers(t *testing.T) {
	fields := []catalog.Field{
		{Name: "company", Type: catalog.FieldText, Required: true, Pattern: `[A-Z][a-z]+`, MinLength: 2, MaxLength: 10},
		{Name: "note", Type: catalog.FieldTextarea},
		{Name: "agree", Type: catalog.FieldCheckbox, Required: true},
		{Name: "level", Type: catalog.FieldSelect, Options: []catalog.FieldOption{{Value: "a1"}, {Value: "b1"}}},
	}
	for _, tc := range []struct {
		name string
		in   map[string]string
		want map[string]string
		keys []string
	}{
		{"valid", map[string]string{"company": " Acme ", "agree": "on", "level": "b1", "extra": "ignored"},
			map[string]string{"company": "Acme", "agree": "yes", "level": "b1"}, nil},
		{"missing required", map[string]string{}, map[string]string{}, []string{"company:form.required", "agree:form.required"}},
		{"pattern", map[string]string{"company": "acme", "agree": "x"}, map[string]string{"agree": "yes"}, []string{"company:form.pattern"}},
		{"pattern is anchored", map[string]string{"company": "Acme1", "agree": "x"}, map[string]string{"agree": "yes"}, []string{"company:form.pattern"}},
		{"too long", map[string]string{"company": "Abcdefghijk", "agree": "x"}, map[string]string{"agree": "yes"}, []string{"company:form.too_long"}},
		{"too short", map[string]string{"company": "A", "agree": "x"}, map[string]string{"agree": "yes"}, []string{"company:form.too_short"}},
		{"unknown choice", map[string]string{"company": "Acme", "agree": "x", "level": "z9"}, map[string]string{"company": "Acme", "agree": "yes"}, []string{"level:form.choice_invalid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ps := validateAnswers("P", 0, fields, tc.in)
			var keys []string
			for _, p := range ps {
				keys = append(keys, p.Field+":"+p.Key)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.keys, keys); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReachable(t *testing.T) {
	steps := []string{StepRequirements, StepCustomer, StepReview}
	if err := reachable(steps, StepCustomer, []string{StepRequirements}); err != nil {
		t.Errorf("customer after requirements: %v", err)
	}
	err := reachable(steps, StepReview, []string{StepRequirements})
	if se, ok := err.(*StepError); !ok || se.Step != StepCustomer {
		t.Errorf("review before customer: %v", err)
	}
	if se, ok := reachable(steps, StepParticipants, nil).(*StepError); !ok || se.Step != StepRequirements {
		t.Error("a step not in the list must send to the first open step")
	}
}
