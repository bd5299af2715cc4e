provider "m" {
  type = "mock"
}

input "sibling" {
  glob = "../*/main.pb.hcl" # ERROR: Path outside the project
}

template "t" {
  text = "${doc}"
}

run "r" {
  for_each = input.sibling
  template = template.t
  provider = provider.m
  vars     = { doc = each.value }
}
