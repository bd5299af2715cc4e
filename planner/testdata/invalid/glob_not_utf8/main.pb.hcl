provider "m" {
  type = "mock"
}

input "docs" {
  glob = "docs/*" # ERROR: Cannot read input file
}

template "t" {
  text = "${doc}"
}

run "r" {
  for_each = input.docs
  template = template.t
  provider = provider.m
  vars     = { doc = each.value }
  output   = "out/${basename(each.key)}.txt"
}
