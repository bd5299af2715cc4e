# Settings whose values are known only once for_each is expanded are
# checked against their ranges per instance.

provider "m" {
  type = "mock"
}

provider "claude" {
  type  = "anthropic"
  model = "claude-3-5-haiku"
}

template "t" {
  text = "hi"
}

run "temperature" {
  for_each    = { ok = 2, high = 7 }
  template    = template.t
  provider    = provider.m
  temperature = each.value # ERROR: Invalid value
}

run "temperature_anthropic" {
  for_each    = { ok = 1, high = 1.5 }
  template    = template.t
  provider    = provider.claude
  temperature = each.value # ERROR: Invalid value
}

run "max_tokens" {
  for_each   = { ok = 1, negative = -5 }
  template   = template.t
  provider   = provider.m
  max_tokens = each.value # ERROR: Invalid value
}

run "seed" {
  for_each = { ok = -3, fraction = 0.5 }
  template = template.t
  provider = provider.m
  seed     = each.value # ERROR: Invalid value
}

run "top_p" {
  for_each = { ok = 0, high = 1.01 }
  template = template.t
  provider = provider.m
  params = {
    top_p = each.value # ERROR: Invalid value
  }
}
