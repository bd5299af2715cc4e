provider "m" {
  type = "mock"
}

input "docs" {
  glob = "docs/*.md"
}

template "t" {
  text = "${doc}"
}

# The glob's keys are paths inside the project, but the output puts them
# one level up.
run "copy" {
  for_each = input.docs
  template = template.t
  provider = provider.m
  vars     = { doc = each.value }
  output   = "../${each.key}" # ERROR: Output path outside the project
}
