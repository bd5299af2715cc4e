provider "p" {
  type = "mock"
}

template "t" {
  text = "${x}"
}

input "i" {
  value = each.key # ERROR: Invalid reference
}

run "a" {
  template = template.t
  provider = provider.p
  vars     = { x = each.value } # ERROR: Reference to "each" in context without for_each
}

run "b" {
  for_each = toset([each.key]) # ERROR: Invalid for_each argument
  template = template.t
  provider = provider.p
  vars     = { x = each.value }
}
