provider "m" {
  type = "mock"
}

input "scans" {
  glob = "scans/*.png"
}

template "t" {
  text = "Describe ${doc}." # ERROR: Binary value used as text
}

template "u" {
  text = "Describe ${upper(input.scans["scans/a.png"])}." # ERROR: Binary value used as text
}

run "r" {
  for_each = input.scans
  template = template.t
  provider = provider.m
  vars     = { doc = each.value }
}

run "s" {
  template = template.u
  provider = provider.m
}
