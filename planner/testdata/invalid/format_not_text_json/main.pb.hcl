provider "m" {
  type = "mock"
}

template "t" {
  text = "Answer in ${fmt}"
}

run "r" {
  for_each = { a = "text", b = "json", c = "yaml" }
  template = template.t
  provider = provider.m
  vars     = { fmt = each.value }
  format   = each.value # ERROR: Invalid format
}
