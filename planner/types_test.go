package planner

import (
	"github.com/promptbuild/promptbuild/executor/provider/registry"
	"github.com/promptbuild/promptbuild/lang"
)

// testTypes are the provider registry's types, as the command passes them
// to lang: the planner's tests plan the configurations users write.
var testTypes = lang.ProviderTypesOf(registry.Types())

// ProviderTypesForTest are testTypes, for the tests of package planner_test.
var ProviderTypesForTest = testTypes
