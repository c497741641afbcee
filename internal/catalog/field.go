package catalog

// FieldType is the kind of input a required-data field asks for.
type FieldType string

// Field types.
const (
	FieldText     FieldType = "text"
	FieldTextarea FieldType = "textarea"
	FieldCheckbox FieldType = "checkbox"
	FieldSelect   FieldType = "select"
)

// Field is one piece of data a product asks the buyer for, per unit bought
// (e.g. the learner's company or a preferred session date).
type Field struct {
	Name      string            `json:"name"` // key in the answers; [a-z0-9_]
	Type      FieldType         `json:"type"`
	Label     map[string]string `json:"label"` // per language
	Help      map[string]string `json:"help,omitempty"`
	Required  bool              `json:"required,omitempty"`
	Pattern   string            `json:"pattern,omitempty"` // RE2, anchored, for text fields
	MinLength int               `json:"min_length,omitempty"`
	MaxLength int               `json:"max_length,omitempty"`
	Options   []FieldOption     `json:"options,omitempty"` // for select fields
}

// FieldOption is one choice of a select field.
type FieldOption struct {
	Value string            `json:"value"`
	Label map[string]string `json:"label"`
}
