package contract

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// closeSchemas returns the document with every object schema that lists its properties closed
// (unevaluatedProperties: false), so an answer that carries a member the document does not
// describe fails the check — the document is the whole truth of what a client receives, not a
// subset of it. Schemas that list no properties (free-form details maps) stay open. The two
// allOf compositions are merged into one object first: a closed part inside allOf would refuse
// the other part's members.
//
// The document itself is left as written; docs/api.md and the document's description say that
// objects carry no other members.
func closeSchemas(src []byte) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, err
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("empty document")
	}
	doc := root.Content[0]
	schemas := get(get(doc, "components"), "schemas")
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		switch n.Kind {
		case yaml.MappingNode:
			if all := get(n, "allOf"); all != nil {
				if err := mergeAllOf(n, all, schemas); err != nil {
					return err
				}
			}
			if get(n, "properties") != nil && get(n, "additionalProperties") == nil && get(n, "unevaluatedProperties") == nil {
				n.Content = append(n.Content,
					&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "unevaluatedProperties"},
					&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"})
			}
			for i := 1; i < len(n.Content); i += 2 {
				if err := walk(n.Content[i]); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if err := walk(c); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(doc); err != nil {
		return nil, err
	}
	return yaml.Marshal(&root)
}

// mergeAllOf turns {allOf: [A, B…], …} into one object schema with A's and B's properties and
// required members (A and B may be $refs into components.schemas).
func mergeAllOf(n, all, schemas *yaml.Node) error {
	props := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	required := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, part := range all.Content {
		if ref := get(part, "$ref"); ref != nil {
			name := strings.TrimPrefix(ref.Value, "#/components/schemas/")
			part = get(schemas, name)
			if part == nil {
				return fmt.Errorf("allOf: unknown schema %s", ref.Value)
			}
		}
		if get(part, "allOf") != nil {
			return fmt.Errorf("allOf inside allOf is not supported by the contract check")
		}
		if p := get(part, "properties"); p != nil {
			props.Content = append(props.Content, p.Content...)
		}
		if r := get(part, "required"); r != nil {
			required.Content = append(required.Content, r.Content...)
		}
	}
	var out []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "allOf" {
			out = append(out, n.Content[i], n.Content[i+1])
		}
	}
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	out = append(out, str("type"), str("object"), str("properties"), props)
	if len(required.Content) > 0 {
		out = append(out, str("required"), required)
	}
	n.Content = out
	return nil
}

// get is the value of key in a mapping node (nil when absent or n is not a mapping).
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
