variable "count" {
  default = 3
}

provider "m" {
  type = "mock"
}

template "t" {
  text = "${each_key}"
}

run "r" {
  for_each = var.count # ERROR: Invalid for_each argument
  template = template.t
  provider = provider.m
  vars     = { each_key = each.key }
}
