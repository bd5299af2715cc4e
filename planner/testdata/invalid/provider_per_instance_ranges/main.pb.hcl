# A setting whose range the provider's type narrows is checked against
# the provider each instance picks: anthropic takes temperatures up to 1.

provider "fast" {
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
  for_each    = toset(["fast", "claude"])
  template    = template.t
  provider    = provider[each.key]
  temperature = 1.5 # ERROR: Invalid value
}
