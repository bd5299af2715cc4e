# A provider picked per instance (provider = provider[EXPR]) is known only
# once for_each is expanded: its name is checked per instance, and each
# name that no provider block has is reported once.

provider "fast" {
  type = "mock"
}

provider "claude" {
  type  = "anthropic"
  model = "claude-3-5-haiku"
}

input "choice" {
  value = "slow"
}

template "t" {
  text = "hi"
}

run "matrix" {
  for_each = { for c in setproduct(["a", "b"], ["fast", "gpt"]) : "${c[0]}/${c[1]}" => c[1] }
  template = template.t
  provider = provider[each.value] # ERROR: Reference to undeclared provider
}

run "from_input" {
  template = template.t
  provider = provider[input.choice] # ERROR: Reference to undeclared provider
}

run "object_key" {
  for_each = { a = { name = "fast" } }
  template = template.t
  provider = provider[each.value] # ERROR: Invalid provider key
}
