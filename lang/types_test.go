package lang

import "github.com/promptbuild/promptbuild/executor/provider/registry"

// testTypes are the provider registry's types, as the command passes them:
// the language's tests read the configurations users write.
var testTypes = ProviderTypesOf(registry.Types())

// typeNamed returns the test type of that name.
func typeNamed(name string) ProviderType {
	for _, t := range testTypes {
		if t.Name() == name {
			return t
		}
	}
	panic("no provider type " + name)
}
