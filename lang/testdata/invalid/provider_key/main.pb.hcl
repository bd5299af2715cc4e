# provider = provider[EXPR] picks a provider by name. EXPR may read
# variables, inputs and each, never a run; when it reads only variables,
# its name is checked here.

variable "known" {
  default = "fast"
}

variable "typo" {
  default = "fats"
}

provider "fast" {
  type = "mock"
}

template "t" {
  text = "hi"
}

run "other" {
  template = template.t
  provider = provider.fast
}

run "static_ok" {
  template = template.t
  provider = provider[var.known]
}

run "literal_ok" {
  template = template.t
  provider = provider["fast"]
}

run "each_ok" {
  for_each = { a = "fast" }
  template = template.t
  provider = provider[each.value]
}

run "reads_run" {
  for_each = { a = "fast" }
  template = template.t
  provider = provider[run.other.output] # ERROR: Invalid provider key
}

run "var_undeclared" {
  template = template.t
  provider = provider[var.typo] # ERROR: Reference to undeclared provider
}

run "literal_undeclared" {
  template = template.t
  provider = provider["nope"] # ERROR: Reference to undeclared provider
}

run "not_a_string" {
  template = template.t
  provider = provider[["fast"]] # ERROR: Invalid provider key
}

run "no_each" {
  template = template.t
  provider = provider[each.value] # ERROR: Reference to "each" in context without for_each
}

run "bare" {
  template = template.t
  provider = provider # ERROR: Invalid provider reference
}

run "attribute_after_key" {
  template = template.t
  provider = provider["fast"].model # ERROR: Invalid provider reference
}

run "provider_as_key" {
  for_each = { a = "fast" }
  template = template.t
  provider = provider[provider.fast] # ERROR: Invalid provider key
}
