provider "m" {
  type = "mock"
}

template "t" {
  text = "${p}"
}

run "list" {
  template = template.t
  provider = provider.m
  vars     = { p = "List three colours" }
}

run "each" {
  for_each = toset(split("\n", run.list.output)) # ERROR: Invalid for_each argument
  template = template.t
  provider = provider.m
  vars     = { p = each.key }
}
