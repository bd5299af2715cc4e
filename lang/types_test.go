package lang

import "github.com/promptbuild/promptbuild/executor/provider/registry"

// testTypes are the provider registry's types, as the command passes them:
// the language's tests read the configurations users write.
var testTypes = ProviderTypesOf(registry.Types())
