provider "p" {
  type = "mock"
}

template "t" {
  file = "prompts/t.tmpl"
}

run "a" {
  template = template.t
  provider = provider.p
  vars     = { doc = "text" }
}
